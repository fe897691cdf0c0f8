import type { LogFormat } from '../observability/logger.js';

/** Everything the local gateway can be started with. Defaults are applied once, in {@link resolveOptions}. */
export interface GatewayOptions {
  /**
   * Dev mode (design §5): binds 127.0.0.1, human-readable logs, no access keys, loopback targets allowed.
   * @default false
   */
  dev?: boolean;
  /** Interface to bind. @default '127.0.0.1' with `dev`, otherwise '0.0.0.0' */
  host?: string;
  /** Config API port; 0 picks a free one. @default 4001 */
  configPort?: number;
  /** Events API port; 0 picks a free one. @default 4000 */
  eventsPort?: number;
  /** Folder of the embedded store; `':memory:'` keeps everything in memory (tests). @default './.event-gateway' */
  dataDir?: string;
  /** @default 'info' */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** @default 'text' with `dev`, otherwise 'json' */
  logFormat?: LogFormat;
}

export type ResolvedGatewayOptions = Required<GatewayOptions>;

export const DEFAULT_CONFIG_PORT = 4001;
export const DEFAULT_EVENTS_PORT = 4000;
export const DEFAULT_DATA_DIR = './.event-gateway';

export function resolveOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const dev = options.dev ?? false;
  return {
    dev,
    host: options.host ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    configPort: options.configPort ?? DEFAULT_CONFIG_PORT,
    eventsPort: options.eventsPort ?? DEFAULT_EVENTS_PORT,
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
    logLevel: options.logLevel ?? 'info',
    logFormat: options.logFormat ?? (dev ? 'text' : 'json'),
  };
}

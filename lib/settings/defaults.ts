/**
 * Defaults of the gateway's settings (lib/settings/table.ts) that components also fall back to: one value each.
 * Request limits the core parsers need live in lib/core/limits.ts (the core imports nothing outside itself) and
 * are re-exported here.
 */
export {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADERS,
  DEFAULT_MAX_ID_LENGTH,
  DEFAULT_MAX_JSON_DEPTH,
} from '../core/limits.js';

export const DEFAULT_CONFIG_PORT = 4001;
export const DEFAULT_EVENTS_PORT = 4000;
export const DEFAULT_DATA_DIR = './.event-gateway';
/** Async deliveries in flight at once (a process's workers; one delivery Lambda invocation's). */
export const DEFAULT_WORKERS = 64;
/** Pending async items beyond which new events get 429. */
export const DEFAULT_MAX_PENDING = 100_000;
/** Below ECS's 30 s stop timeout. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;
export const DEFAULT_STREAM_RELAY_LEASE_MS = 10_000;
export const DEFAULT_TABLE_PREFIX = 'event-gateway-';
export const DEFAULT_METRICS_NAMESPACE = 'EventGateway';
export const DEFAULT_CLOUDEVENTS_VERSION = '0.1' as const;
export const DEFAULT_LOG_LEVEL = 'info' as const;
export const DEFAULT_ACCESS_KEY_CACHE_MS = 5000;
/** The longest, and default, time the config API Lambda reuses the admin key read from Secrets Manager. */
export const MAX_ADMIN_KEY_CACHE_MS = 5 * 60_000;

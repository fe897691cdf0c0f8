import type { LevelWithSilent } from 'pino';
import { settingFromEnv } from '../settings/index.js';

/**
 * The Lambda handlers' settings besides where the resources are (`awsResourceOptionsFromEnv`), from the same
 * variables as the CLI's flags (the settings table, lib/settings; docs/operations.md#flags).
 */
export interface LambdaSettings {
  /** The Lambdas also take `fatal`, `trace` and `silent`. @default 'info' */
  logLevel: LevelWithSilent;
  /** Spec version of gateway-made events. @default '0.1' */
  cloudEventsVersion: '0.1' | '1.0';
  /** CIDRs http functions may reach besides public addresses. @default none */
  allowTargets?: string;
  /** Longest id, name or path in the config API. @default 256 */
  maxIdLength: number;
  /** Deepest JSON nesting in a body. @default 64 */
  maxJsonDepth: number;
  /** Serve `/v1/metrics` without a key. @default false */
  publicMetrics: boolean;
  /** The CloudWatch namespace of the EMF metrics. @default 'EventGateway' */
  metricsNamespace: string;
  /**
   * Deliveries in flight at once in one delivery invocation, over all the items of its bundles (the CLI's
   * `--workers`).
   * @default 64
   */
  workers: number;
  /** How long a key lookup is reused (a revocation's delay). @default 5000 */
  accessKeyCacheMs: number;
  /**
   * How long the config API reuses the admin key read from Secrets Manager; a rotated key stops working within this
   * time. 300000 (5 minutes) at most.
   * @default 300000
   */
  adminKeyCacheMs: number;
}

/** Throws an Error naming the variable and what it accepts when a value is not valid. */
export function lambdaSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaSettings {
  return {
    logLevel: settingFromEnv('logLevel', env),
    cloudEventsVersion: settingFromEnv('cloudEventsVersion', env),
    allowTargets: settingFromEnv('allowTargets', env),
    maxIdLength: settingFromEnv('maxIdLength', env),
    maxJsonDepth: settingFromEnv('maxJsonDepth', env),
    publicMetrics: settingFromEnv('publicMetrics', env),
    metricsNamespace: settingFromEnv('metricsNamespace', env),
    workers: settingFromEnv('workers', env),
    accessKeyCacheMs: settingFromEnv('accessKeyCacheMs', env),
    adminKeyCacheMs: settingFromEnv('adminKeyCacheMs', env),
  };
}

import type { LevelWithSilent } from 'pino';
import { MAX_ADMIN_KEY_CACHE_MS } from './admin-key.js';
import { DEFAULT_METRICS_NAMESPACE } from './metrics.js';

/**
 * The Lambda handlers' settings besides where the resources are (`awsResourceOptionsFromEnv`), from the same
 * `EVENT_GATEWAY_<FLAG>` variables as the CLI's flags (docs/operations.md#flags).
 */
export interface LambdaSettings {
  /** `EVENT_GATEWAY_LOG_LEVEL`. @default 'info' */
  logLevel: LevelWithSilent;
  /** `EVENT_GATEWAY_CLOUDEVENTS_VERSION`: spec version of gateway-made events. @default '0.1' */
  cloudEventsVersion: '0.1' | '1.0';
  /** `EVENT_GATEWAY_ALLOW_TARGETS`: CIDRs http functions may reach besides public addresses. @default none */
  allowTargets?: string;
  /** `EVENT_GATEWAY_MAX_ID_LENGTH`. @default 256 */
  maxIdLength: number;
  /** `EVENT_GATEWAY_MAX_JSON_DEPTH`. @default 64 */
  maxJsonDepth: number;
  /** `EVENT_GATEWAY_PUBLIC_METRICS=true`: `/v1/metrics` without a key. @default false */
  publicMetrics: boolean;
  /** `EVENT_GATEWAY_METRICS_NAMESPACE`: the CloudWatch namespace of the EMF metrics. @default 'EventGateway' */
  metricsNamespace: string;
  /**
   * `EVENT_GATEWAY_WORKERS`: deliveries in flight at once in one delivery invocation, over all the items of its
   * bundles (the CLI's `--workers`). @default 64
   */
  workers: number;
  /** `EVENT_GATEWAY_ACCESS_KEY_CACHE_MS`: how long a key lookup is reused (a revocation's delay). @default 5000 */
  accessKeyCacheMs: number;
  /**
   * `EVENT_GATEWAY_ADMIN_KEY_CACHE_MS`: how long the config API reuses the admin key read from Secrets Manager; a
   * rotated key stops working within this time. 300000 (5 minutes) at most.
   * @default 300000
   */
  adminKeyCacheMs: number;
}

const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Throws an Error naming the variable and what it accepts when a value is not valid. */
export function lambdaSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaSettings {
  const logLevel = env.EVENT_GATEWAY_LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel as LevelWithSilent)) {
    throw invalid('EVENT_GATEWAY_LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  }
  const cloudEventsVersion = env.EVENT_GATEWAY_CLOUDEVENTS_VERSION || '0.1';
  if (cloudEventsVersion !== '0.1' && cloudEventsVersion !== '1.0') {
    throw invalid('EVENT_GATEWAY_CLOUDEVENTS_VERSION', cloudEventsVersion, '0.1 or 1.0');
  }
  const publicMetrics = env.EVENT_GATEWAY_PUBLIC_METRICS || 'false';
  if (publicMetrics !== 'true' && publicMetrics !== 'false') throw invalid('EVENT_GATEWAY_PUBLIC_METRICS', publicMetrics, 'true or false');
  return {
    logLevel: logLevel as LevelWithSilent,
    cloudEventsVersion,
    ...(env.EVENT_GATEWAY_ALLOW_TARGETS ? { allowTargets: env.EVENT_GATEWAY_ALLOW_TARGETS } : {}),
    maxIdLength: wholeNumber(env, 'EVENT_GATEWAY_MAX_ID_LENGTH', 256, 1),
    maxJsonDepth: wholeNumber(env, 'EVENT_GATEWAY_MAX_JSON_DEPTH', 64, 1),
    publicMetrics: publicMetrics === 'true',
    metricsNamespace: env.EVENT_GATEWAY_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
    workers: wholeNumber(env, 'EVENT_GATEWAY_WORKERS', 64, 1),
    accessKeyCacheMs: wholeNumber(env, 'EVENT_GATEWAY_ACCESS_KEY_CACHE_MS', 5000, 0),
    adminKeyCacheMs: wholeNumber(env, 'EVENT_GATEWAY_ADMIN_KEY_CACHE_MS', MAX_ADMIN_KEY_CACHE_MS, 0, MAX_ADMIN_KEY_CACHE_MS),
  };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, text, max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
  }
  return value;
}

function invalid(name: string, value: string, expected: string): Error {
  return new Error(`${name}=${JSON.stringify(value)} is not valid: expected ${expected}`);
}

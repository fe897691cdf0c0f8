import { SettingValueError } from './parse.js';
import { SETTINGS, type SettingName, type SettingValue, type SettingValues } from './table.js';

/** The environment variable of a setting: `envName('configPort')` is `EVENT_GATEWAY_CONFIG_PORT`. */
export function envName(name: SettingName): string {
  return SETTINGS[name].env;
}

/**
 * One setting from the environment (the Lambdas, which have no flags): its default when the variable is unset or
 * empty. Throws an Error naming the variable and what it accepts when the value is not valid.
 */
export function settingFromEnv<K extends SettingName>(name: K, env: NodeJS.ProcessEnv = process.env): SettingValue<K> {
  const setting = SETTINGS[name];
  const value = env[setting.env];
  if (!value) return setting.default as SettingValue<K>;
  try {
    return setting.parse(value) as SettingValue<K>;
  } catch (error) {
    if (!(error instanceof SettingValueError)) throw error;
    throw new Error(`${setting.env}=${JSON.stringify(value)} is not valid: expected ${error.expected}`);
  }
}

/**
 * Settings as environment variables, for a process started elsewhere (the CDK stack's container and Lambdas). An
 * unset (undefined) setting is left out; a list is joined with commas.
 */
export function settingsEnv(values: SettingValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values) as [SettingName, unknown][]) {
    if (value === undefined) continue;
    env[SETTINGS[name].env] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}

export * from './defaults.js';
export { envName, settingFromEnv, settingsEnv } from './env.js';
export { SettingValueError, type Parser } from './parse.js';
export {
  FLAG_SETTINGS,
  SETTINGS,
  isSwitch,
  longFlag,
  type Runtime,
  type Setting,
  type SettingName,
  type SettingValue,
  type SettingValues,
} from './table.js';

import { InvalidArgumentError, Option } from 'commander';
import { SETTINGS, SettingValueError, isSwitch, type SettingName } from '../settings/index.js';

/**
 * A commander option made from a setting of the table (lib/settings): its flag, its environment variable, its
 * default, its parser and its help line. A flag on the command line wins over the variable.
 */
export function settingOption(name: SettingName, description?: string): Option {
  const setting = SETTINGS[name];
  if (!setting.flag) throw new Error(`the setting ${name} has no flag`);
  const help = description ?? (setting.default === undefined && setting.defaultText ? `${setting.doc} (default: ${setting.defaultText})` : setting.doc);
  const option = new Option(setting.flag, help).env(setting.env);
  if (setting.aliasOf) option.hideHelp();
  if (isSwitch(setting)) return option;
  if (setting.choices) option.choices(setting.choices);
  else {
    option.argParser((text: string, previous: unknown) => {
      try {
        return setting.parse(text, previous as never);
      } catch (error) {
        throw error instanceof SettingValueError ? new InvalidArgumentError(error.message) : error;
      }
    });
  }
  if (setting.default !== undefined) option.default(setting.default, setting.defaultText);
  return option;
}

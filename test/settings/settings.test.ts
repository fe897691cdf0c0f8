import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Option } from 'commander';
import { buildProgram } from '../../lib/cli/main.js';
import { awsResourceOptionsFromEnv } from '../../lib/gateway/aws.js';
import { resolveOptions } from '../../lib/gateway/options.js';
import { ADMIN_KEY_ENV, ADMIN_KEY_SECRET_ARN_ENV } from '../../lib/lambda/admin-key.js';
import { lambdaSettingsFromEnv } from '../../lib/lambda/settings.js';
import { ADMIN_KEY_SECRET_ARN_ENV as STACK_ADMIN_KEY_ENV } from '../../lib/infra/index.js';
import { FLAG_SETTINGS, SETTINGS, isSwitch, longFlag, settingFromEnv, type Setting, type SettingName } from '../../lib/settings/index.js';
import { buildStack } from '../infra/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const names = Object.keys(SETTINGS) as SettingName[];
const settingOf = (name: SettingName): Setting<unknown> => SETTINGS[name] as Setting<unknown>;

/** A valid value of a setting other than its default, as the variable's text. */
function sampleText(name: SettingName): string {
  const setting = settingOf(name);
  if (setting.choices) return setting.choices.find((choice) => choice !== setting.default) ?? setting.choices[0]!;
  if (typeof setting.default === 'boolean') return String(!setting.default);
  if (typeof setting.default === 'number') return String(Math.max(1, Math.floor(setting.default / 2)));
  return `sample-${name}`;
}

/** The first cell of each table row of a Markdown file: `| cell | cell |` → cells. */
function tableRows(markdown: string): string[][] {
  return markdown.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
}

/** What a docs table says a default is, without backticks and remarks in parentheses. */
const docDefault = (cell: string) => cell.replaceAll('`', '').replace(/\s*\(.*\)$/, '').trim();

/** What the docs should say the default of a setting is. */
function expectedDefault(setting: Setting<unknown>): string[] {
  if (setting.default === undefined) {
    return setting.defaultText ? [setting.defaultText.split(' ')[0]!] : ['none', '—', 'AWS', ''];
  }
  if (typeof setting.default === 'boolean') return [setting.default ? 'on' : 'off'];
  return [setting.defaultText ?? String(setting.default)];
}

function matchesDefault(cell: string, setting: Setting<unknown>): boolean {
  const text = docDefault(cell);
  return expectedDefault(setting).some((expected) => (expected === '' ? text === '' : text === expected || text.startsWith(`${expected} `)));
}

describe('the settings table (lib/settings) agrees with the CLI, the Lambdas, the stack and the docs', () => {
  it('names every flag\'s variable EVENT_GATEWAY_<FLAG>, and every alias names a setting', () => {
    for (const name of FLAG_SETTINGS) {
      const setting = settingOf(name);
      const flag = longFlag(setting)!;
      assert.equal(setting.env, `EVENT_GATEWAY_${flag.slice(2).toUpperCase().replaceAll('-', '_')}`, name);
      if (setting.aliasOf) assert.ok(setting.aliasOf in SETTINGS && !settingOf(setting.aliasOf as SettingName).aliasOf, name);
    }
    assert.equal(new Set(names.map((name) => SETTINGS[name].env)).size, names.length, 'two settings share a variable');
  });

  it('the CLI has one option per flag of the table, with its variable, default and visibility', () => {
    const program = buildProgram();
    const options = new Map(program.options.filter((o) => o.long !== '--version').map((o) => [o.long!, o] as [string, Option]));
    assert.deepEqual([...options.keys()], FLAG_SETTINGS.map((name) => longFlag(settingOf(name))));
    for (const name of FLAG_SETTINGS) {
      const setting = settingOf(name);
      const option = options.get(longFlag(setting)!)!;
      assert.equal(option.flags, setting.flag, name);
      assert.equal(option.envVar, setting.env, name);
      assert.equal(option.hidden, setting.aliasOf !== undefined, name);
      assert.deepEqual(option.defaultValue, isSwitch(setting) ? undefined : setting.default, name);
      if (setting.choices) assert.deepEqual(option.argChoices, [...setting.choices], name);
    }
  });

  it('the local gateway falls back to the defaults of the table, and has an option for every flag', () => {
    const resolved = resolveOptions({}) as unknown as Record<string, unknown>;
    for (const name of FLAG_SETTINGS) {
      const setting = settingOf(name);
      if (setting.aliasOf) continue;
      assert.ok(name in resolved, `${name} is not an option of the gateway`);
      if (setting.default !== undefined) assert.deepEqual(resolved[name], setting.default, name);
    }
  });

  it('the Lambdas read each of their settings from its variable, with the default of the table', () => {
    const defaults = { ...lambdaSettingsFromEnv({}), ...awsResourceOptionsFromEnv({}) } as Record<string, unknown>;
    const lambdaSettings = names.filter((name) => SETTINGS[name].readBy.includes('lambda'));
    assert.ok(lambdaSettings.length >= 10);
    for (const name of lambdaSettings) {
      const setting = settingOf(name);
      if (name === 'adminKeySecretArn') {
        assert.equal(ADMIN_KEY_SECRET_ARN_ENV, setting.env);
        continue;
      }
      const env = { [setting.env]: sampleText(name) };
      const read = { ...lambdaSettingsFromEnv(env), ...awsResourceOptionsFromEnv(env) } as Record<string, unknown>;
      const changed = Object.keys(read).filter((key) => read[key] !== defaults[key]);
      assert.equal(changed.length, 1, `${setting.env} changes ${changed.join(', ') || 'nothing'}`);
      assert.deepEqual(read[changed[0]!], settingFromEnv(name, env), name);
      assert.deepEqual(defaults[changed[0]!], setting.default, `the Lambdas' default of ${name}`);
    }
    assert.equal(ADMIN_KEY_ENV, SETTINGS.adminKey.env);
  });

  it('the stack sets only variables of the table, each on a runtime that reads it', () => {
    const { template } = buildStack({ allowTargets: ['10.0.0.0/8'], prometheus: {} });
    const ours = (variables: Record<string, unknown>) => Object.keys(variables).filter((key) => key.startsWith('EVENT_GATEWAY_'));
    const byEnv = new Map(names.map((name) => [SETTINGS[name].env, settingOf(name)]));
    const task = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as {
      Properties: { ContainerDefinitions: { Name: string; Environment?: { Name: string }[] }[] };
    };
    const container = Object.fromEntries(task.Properties.ContainerDefinitions.flatMap((c) => c.Environment ?? []).map((e) => [e.Name, true]));
    assert.ok(ours(container).length >= 5, 'the container gets no settings');
    for (const env of ours(container)) assert.ok(byEnv.get(env)?.readBy.includes('cli'), `the container's ${env} is no setting of the CLI`);
    assert.ok(ours(container).includes(SETTINGS.loopbackMetrics.env));
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables: Record<string, unknown> } } }[];
    const lambdaEnv = functions.flatMap((fn) => ours(fn.Properties.Environment?.Variables ?? {}));
    assert.ok(lambdaEnv.includes(SETTINGS.sqsQueueUrl.env) && lambdaEnv.includes(SETTINGS.adminKeySecretArn.env));
    for (const env of lambdaEnv) assert.ok(byEnv.get(env)?.readBy.includes('lambda'), `a Lambda's ${env} is no setting of the Lambdas`);
    assert.equal(STACK_ADMIN_KEY_ENV, SETTINGS.adminKeySecretArn.env);
  });

  it('docs/operations.md lists every setting with its variable and default', () => {
    const rows = new Map(tableRows(read('docs/operations.md')).map((cells) => [cells[0]!.replaceAll('`', '').split(/[ ,]/)[0]!, cells]));
    const wrong: string[] = [];
    for (const name of names) {
      const setting = settingOf(name);
      const key = longFlag(setting) ?? setting.env;
      const cells = rows.get(key);
      if (!cells) {
        if (setting.flag || setting.readBy.includes('lambda')) wrong.push(`${key}: no row`);
        continue;
      }
      if (setting.flag) {
        if (cells[1] !== `\`${setting.env}\``) wrong.push(`${key}: variable ${cells[1]}, the table says ${setting.env}`);
        if (!matchesDefault(cells[2]!, setting)) wrong.push(`${key}: default ${cells[2]}, the table says ${expectedDefault(setting).join(' or ')}`);
      } else if (!matchesDefault(cells[2]!, setting)) wrong.push(`${key}: default ${cells[2]}, the table says ${expectedDefault(setting).join(' or ')}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('README.md lists every flag but the aliases, with its default', () => {
    const rows = tableRows(read('README.md')).filter((cells) => cells[0]!.startsWith('`--'));
    const byFlag = new Map(rows.map((cells) => [cells[0]!.replaceAll('`', '').split(/[ ,]/)[0]!, cells]));
    const wrong: string[] = [];
    for (const name of FLAG_SETTINGS) {
      const setting = settingOf(name);
      const flag = longFlag(setting)!;
      if (setting.aliasOf) {
        const of = longFlag(settingOf(setting.aliasOf as SettingName))!;
        if (!byFlag.get(of)?.[0]!.includes(`\`${flag}\``)) wrong.push(`${flag}: not named as the alias of ${of}`);
        continue;
      }
      const cells = byFlag.get(flag);
      if (!cells) wrong.push(`${flag}: no row`);
      else if (!matchesDefault(cells[1]!, setting)) wrong.push(`${flag}: default ${cells[1]}, the table says ${expectedDefault(setting).join(' or ')}`);
    }
    assert.deepEqual(wrong, []);
  });
});

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { normaliseGoStyleFlags } from '../lib/cli/main.js';
import { freePort } from './helpers/ports.js';

const run = promisify(execFile);
const CLI = new URL('../bin/event-gateway.js', import.meta.url).pathname;

describe('the CLI', () => {
  it('prints the version the way the original did', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--version']);
    assert.match(stdout, /^Event Gateway version: \d+\.\d+\.\d+\n$/);
  });

  it('lists the flags in --help, each with its environment variable', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    for (const flag of ['--dev', '--host', '--config-port', '--events-port', '--data-dir', '--log-level', '--log-format']) {
      assert.ok(stdout.includes(flag), `${flag} missing from --help`);
    }
    assert.match(stdout, /EVENT_GATEWAY_CONFIG_PORT/);
  });

  it('refuses a bad port with a clear message and a non-zero exit', async () => {
    await assert.rejects(run(process.execPath, [CLI, '--config-port', 'abc']), (error: { code: number; stderr: string }) => {
      assert.notEqual(error.code, 0);
      assert.match(error.stderr, /--config-port/);
      return true;
    });
  });

  it('answers a usage error with its one line and where the help is, not the whole help', async () => {
    for (const [args, line, hint] of [
      [['--config-port', 'abc'], /^error: option '--config-port <port>' argument 'abc' is invalid/, "(run 'event-gateway --help' for usage)"],
      [['--evnts-port', '5'], /^error: unknown option '--evnts-port'\n\(Did you mean --events-port\?\)/, "(run 'event-gateway --help' for usage)"],
      [['keys', 'create', '--spacs', 'a'], /^error: unknown option '--spacs'/, "(run 'event-gateway keys create --help' for usage)"],
    ] as const) {
      await assert.rejects(run(process.execPath, [CLI, ...args]), (error: { code: number; stderr: string; stdout: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, line);
        assert.ok(error.stderr.trimEnd().endsWith(hint), error.stderr);
        assert.ok(error.stderr.trimEnd().split('\n').length <= 3, `${error.stderr.split('\n').length} lines:\n${error.stderr}`);
        assert.equal(error.stdout, '');
        return true;
      });
    }
  });

  it('accepts the single-dash flags of Go programs', () => {
    assert.deepEqual(normaliseGoStyleFlags(['-dev', '-config-port=5', '-x', '--events-port', '7', '-']), ['--dev', '--config-port=5', '-x', '--events-port', '7', '-']);
  });
});

describe('what the CLI says at start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-cli-start-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts the gateway (production mode: no --dev) on free ports, waits until it runs, stops it; returns its logs. */
  async function startLogs(args: string[]): Promise<string> {
    const child = spawn(process.execPath, [
      CLI, '--host', '127.0.0.1', '--config-port', String(await freePort()), '--events-port', String(await freePort()),
      '--connector-port', '0', '--data-dir', dataDir, '--log-format', 'json', ...args,
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EVENT_GATEWAY_ADMIN_KEY: '' } });
    let output = '';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${output}`)), 30_000);
      const collect = (c: Buffer) => {
        output += c.toString();
        if (output.includes('Event Gateway running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('exit', () => reject(new Error(`the gateway exited: ${output}`)));
    });
    child.kill('SIGTERM');
    await exited;
    return output;
  }

  it('warns that no key can reach the config API when none can', async () => {
    assert.match(await startLogs([]), /no access key can reach the config API/);
  });

  it('says nothing about config API keys with --router-only, which serves no config API', async () => {
    assert.doesNotMatch(await startLogs(['--router-only']), /access key/);
  });

  it('warns when the admin key is shorter than 32 characters, and not when it is long enough', async () => {
    const short = await startLogs(['--admin-key', 'secret']);
    assert.match(short, /"level":40.*admin key .*shorter than 32 characters/);
    assert.doesNotMatch(short, /secret/, 'the key itself is never logged');
    assert.doesNotMatch(await startLogs(['--admin-key', 'k'.repeat(32)]), /shorter than/);
  });
});

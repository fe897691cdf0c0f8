import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { normaliseGoStyleFlags } from '../lib/cli/main.js';

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

  it('accepts the single-dash flags of Go programs', () => {
    assert.deepEqual(normaliseGoStyleFlags(['-dev', '-config-port=5', '-x', '--events-port', '7', '-']), ['--dev', '--config-port=5', '-x', '--events-port', '7', '-']);
  });
});

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { Sink } from '../helpers/sink.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const packageJson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };

interface Snippet {
  lang: string;
  code: string;
  /** The `## ` section it is in. */
  section: string;
  line: number;
}

/** The README's fenced code blocks that start at the margin (the indented ones are examples of JSON, not programs). */
function snippets(): Snippet[] {
  const found: Snippet[] = [];
  let section = '';
  let open: { lang: string; line: number; lines: string[] } | undefined;
  readme.split('\n').forEach((text, i) => {
    if (open) {
      if (text === '```') {
        found.push({ lang: open.lang, code: `${open.lines.join('\n')}\n`, section, line: open.line });
        open = undefined;
      } else open.lines.push(text);
      return;
    }
    if (text.startsWith('## ')) section = text.slice(3);
    const fence = /^```(\w*)$/.exec(text);
    if (fence) open = { lang: fence[1]!, line: i + 1, lines: [] };
  });
  assert.equal(open, undefined, 'an unclosed code block in README.md');
  return found;
}

const jsSnippets = snippets().filter((s) => s.lang === 'js');
const tourShell = snippets().filter((s) => s.lang === 'sh' && s.section === 'A five-minute tour');

/** Which JS snippet is which; a new one fails here until this test runs it too. */
function jsSnippet(name: 'tour' | 'verify' | 'orders'): Snippet {
  const pick = {
    tour: (s: Snippet) => s.section === 'A five-minute tour',
    verify: (s: Snippet) => s.code.includes('export function verify('),
    orders: (s: Snippet) => s.code.includes('process.env.EVENTS_URL'),
  }[name];
  const matching = jsSnippets.filter(pick);
  assert.equal(matching.length, 1, `one ${name} snippet in README.md`);
  return matching[0]!;
}

function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('README.md', () => {
  it('states the Node.js version that package.json requires', () => {
    const engines = /^>=(\d+\.\d+\.\d+)$/.exec(packageJson.engines.node)?.[1];
    assert.ok(engines, `engines.node is ${packageJson.engines.node}`);
    const stated = [...readme.matchAll(/Node\.js (\d+(?:\.\d+)*) or newer/g)].map((m) => m[1]);
    assert.ok(stated.length > 0, 'the README says which Node.js it needs');
    for (const version of stated) assert.equal(version, engines);
  });

  it('has only JS snippets that are ES modules Node.js parses, each of them exercised below', async () => {
    assert.equal(jsSnippets.length, 3, 'a new JS snippet in README.md: run it in this test too');
    const dir = mkdtempSync(join(tmpdir(), 'eg-readme-check-'));
    try {
      for (const name of ['tour', 'verify', 'orders'] as const) {
        const file = join(dir, `${name}.mjs`);
        writeFileSync(file, jsSnippet(name).code);
        await run(process.execPath, ['--check', file]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the README\'s snippets against a started gateway (the real CLI on free ports)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-readme-data-'));
  // Snippets run from a folder that sees the repository's node_modules, as they would inside the repository.
  const workDir = mkdtempSync(join(tmpdir(), 'eg-readme-run-'));
  symlinkSync(new URL('node_modules', root).pathname, join(workDir, 'node_modules'), 'dir');
  let gw: CliGateway;
  let functionPort: number;
  let fn: ChildProcess | undefined;
  let fnOutput = '';
  const ports = { events: 0, config: 0 };

  /** The snippets name the default ports; the test's gateway and function listen elsewhere. */
  const rewrite = (code: string) =>
    code
      .replaceAll('127.0.0.1:4000', `127.0.0.1:${ports.events}`)
      .replaceAll('127.0.0.1:4001', `127.0.0.1:${ports.config}`)
      .replaceAll('127.0.0.1:3000', `127.0.0.1:${functionPort}`)
      .replaceAll(".listen(3000,'127.0.0.1')", `.listen(${functionPort},'127.0.0.1')`);

  async function runJs(name: 'tour' | 'verify' | 'orders', env: Record<string, string> = {}): Promise<string> {
    const file = join(workDir, `${name}.mjs`);
    writeFileSync(file, rewrite(jsSnippet(name).code));
    const { stdout } = await run(process.execPath, [file], { cwd: workDir, env: { ...process.env, ...env }, timeout: 20_000 });
    return stdout;
  }

  before(async () => {
    ports.events = await freePort();
    ports.config = await freePort();
    functionPort = await freePort();
    gw = await startCli(['--data-dir', dataDir], { configPort: ports.config, eventsPort: ports.events });
  });
  after(async () => {
    if (fn?.pid) process.kill(-fn.pid, 'SIGTERM');
    await stopCli(gw.child);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs the tour\'s shell snippets as written: the function, the config, the events and the dead letters', async () => {
    const [functionSnippet, ...steps] = tourShell;
    assert.ok(functionSnippet?.code.includes('.listen(3000'), 'the tour starts with the function');
    if (!functionSnippet) return;
    assert.equal(steps.length, 3, 'the tour: register, emit, dead letters');
    fn = spawn('bash', ['-c', rewrite(functionSnippet.code)], { cwd: workDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    fn.stdout?.on('data', (c: Buffer) => (fnOutput += c.toString()));
    fn.stderr?.on('data', (c: Buffer) => (fnOutput += c.toString()));
    await waitForPort(functionPort);

    // One shell session, as a reader's terminal: later steps use the variables of earlier ones.
    const script = ['set -e', ...steps.map((s, i) => `echo '@@step ${i}'\n${rewrite(s.code)}`)].join('\n');
    const { stdout } = await run('bash', ['-c', script], { cwd: workDir, timeout: 30_000 });
    const outputs = stdout.split(/^@@step \d+\n/m).slice(1);
    assert.equal(outputs.length, steps.length, stdout);

    steps.forEach((step, i) => {
      const output = outputs[i]!;
      assert.doesNotMatch(output, /"errors"/, `README line ${step.line}: ${output}`);
      // A comment `# HTTP/1.1 200 OK … text` says what the command before it prints.
      for (const [, status, text] of step.code.matchAll(/^# (HTTP\/1\.1 \d{3} [A-Za-z ]+?)\s*(?:…\s*(.+)|—.*)?$/gm)) {
        assert.ok(output.includes(status!), `README line ${step.line}: expected ${status} in\n${output}`);
        if (text) assert.ok(output.includes(text), `README line ${step.line}: expected "${text}" in\n${output}`);
      }
    });
    assert.match(outputs[0]!, /"functionId":"hello"/);
    assert.match(outputs[0]!, /"subscriptionId":/);
    assert.match(outputs[1]!, /HTTP\/1\.1 202 Accepted/);
    assert.match(outputs[2]!, /\{"deadLetters":\[\]\}/);
    assert.match(outputs[2]!, /\{"redriven":0\}/);
    // "the function's terminal prints it"
    await eventually(() => fnOutput.includes('"name":"Ann"'), `the delivery in the function's output: ${fnOutput}`);
  });

  it('runs the SDK snippet of the tour: emit with a path, the sync route, the subscriptions', async () => {
    const stdout = await runJs('tour');
    const [accepted, hello] = stdout.split('\n');
    assert.equal(accepted, '202');
    assert.equal(hello, '200 hello from the function');
    assert.match(stdout, /functionId: 'hello'/);
    await eventually(() => fnOutput.includes('"name":"Bob"'), `the SDK's event in the function's output: ${fnOutput}`);
  });

  it('runs the SDK snippet of the AWS section, pointed at this gateway by EVENTS_URL and CONFIG_URL', async () => {
    const stdout = await runJs('orders', { EVENTS_URL: gw.eventsUrl, CONFIG_URL: gw.configUrl });
    assert.equal(stdout, '202\n');
    const created = await call(gw.configUrl, 'GET', '/v1/spaces/default/functions/orders');
    assert.equal(created.status, 200);
    assert.equal(created.json<{ type: string }>().type, 'awslambda');
  });

  it('verifies a real signed delivery with the README\'s verify(), and refuses a tampered one', async () => {
    const sink = await Sink.start();
    try {
      const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
      for (const [path, body] of [
        ['/functions', { functionId: 'receiver', type: 'http', provider: { url: sink.url, signingSecret: secret } }],
        ['/eventtypes', { name: 'order.paid' }],
        ['/subscriptions', { type: 'async', eventType: 'order.paid', functionId: 'receiver', path: '/signed' }],
      ] as const) {
        const res = await call(gw.configUrl, 'POST', `/v1/spaces/signed${path}`, body);
        assert.equal(res.status, 201, res.text);
      }
      const event = { eventType: 'order.paid', cloudEventsVersion: '0.1', source: '/readme', eventID: '1', data: { amount: 5 } };
      const emitted = await http(gw.eventsUrl, '/signed', {
        method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event),
      });
      assert.equal(emitted.status, 202);
      await eventually(() => sink.received.length > 0, 'the signed delivery');
      const delivered = sink.received[0];
      assert.ok(delivered, 'a signed delivery arrived');
      writeFileSync(join(workDir, 'verify.mjs'), jsSnippet('verify').code);
      const { verify } = (await import(pathToFileURL(join(workDir, 'verify.mjs')).href)) as {
        verify(secret: string, headers: Record<string, unknown>, rawBody: string): boolean;
      };
      assert.equal(verify(secret, delivered.headers, delivered.body), true);
      assert.equal(verify(secret, delivered.headers, delivered.body.replace('5', '6')), false);
      assert.equal(verify(`whsec_${Buffer.from('another secret').toString('base64')}`, delivered.headers, delivered.body), false);
    } finally {
      await sink.close();
    }
  });
});

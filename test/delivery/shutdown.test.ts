// Graceful shutdown of the real CLI (issue 15): on SIGTERM/SIGINT the gateway answers new events with 503, takes no
// new items, lets the deliveries in flight finish up to --shutdown-timeout and exits 0; what is left stays queued.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/sink.js';
import { SlowFunction, configure, emit, exitOf, firstCallOf, running, sleep } from '../helpers/slow-function.js';

describe('graceful shutdown of the CLI (SIGTERM/SIGINT)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const functions: SlowFunction[] = [];
  after(async () => {
    for (const child of children) if (running(child)) child.kill('SIGKILL');
    await Promise.all(functions.map((f) => f.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(firstDelayMs: number) {
    const dataDir = mkdtempSync(join(tmpdir(), 'eg-shutdown-'));
    dirs.push(dataDir);
    const fn = await SlowFunction.start(firstDelayMs, (body) => body.includes('"slow-'));
    functions.push(fn);
    const ports = { configPort: await freePort(), eventsPort: await freePort() };
    const start = async (extra: string[] = []): Promise<CliGateway> => {
      const gateway = await startCli(['--data-dir', dataDir, ...extra], ports);
      children.push(gateway.child);
      return gateway;
    };
    return { fn, start };
  }

  it('SIGTERM 2 s into an 8 s delivery: waits for it, 503 for new events, exit 0, delivered exactly once', async () => {
    const { fn, start } = await setUp(8000);
    const first = await start();
    await configure(first.configUrl, fn.url);
    assert.equal(await emit(first.eventsUrl, 'slow-1'), 202);
    const webhookId = await firstCallOf(fn, 'slow-1');
    await sleep(2000);

    const exit = exitOf(first.child);
    first.child.kill('SIGTERM');
    await sleep(500);
    assert.ok(running(first.child), `the gateway exited while a delivery was in flight: ${first.output()}`);
    assert.equal(await emit(first.eventsUrl, 'during-drain'), 503, 'new events get 503 while draining');

    const { code, at } = await exit;
    assert.equal(code, 0, first.output());
    const call = fn.callsOf(webhookId)[0]!;
    assert.ok(call.answeredAt !== undefined && at >= call.answeredAt, 'the gateway exited after the function answered');

    // The next start finds nothing left of it: leases of unsettled items are released at start, so a leftover
    // would be delivered at once, before or with this fresh event.
    const second = await start();
    assert.equal(await emit(second.eventsUrl, 'after-restart'), 202);
    await firstCallOf(fn, 'after-restart');
    await sleep(500);
    assert.equal(fn.callsOf(webhookId).length, 1, 'delivered exactly once');
    assert.ok(!fn.calls.some((c) => c.body.includes('"during-drain"')), 'the event refused with 503 is not delivered');
    assert.equal(await stopCli(second.child), 0);
  });

  it('--shutdown-timeout shorter than the delivery: exits 0 after it, logs what was left, delivers it after a restart', async () => {
    const { fn, start } = await setUp(8000);
    const first = await start(['--shutdown-timeout', '1']);
    await configure(first.configUrl, fn.url);
    assert.equal(await emit(first.eventsUrl, 'slow-2'), 202);
    const webhookId = await firstCallOf(fn, 'slow-2');

    const signalledAt = Date.now();
    const exit = exitOf(first.child);
    first.child.kill('SIGTERM');
    const { code, at } = await exit;
    assert.equal(code, 0, first.output());
    const took = at - signalledAt;
    assert.ok(took >= 900 && took < 4000, `exited ${took} ms after the signal; expected about 1 s`);
    const leftLines = first.output().split('\n').filter((l) => /left \d+ async deliver/.test(l));
    assert.equal(leftLines.length, 1, first.output());
    assert.match(leftLines[0]!, /left 1 async delivery in flight/);

    const second = await start(['--shutdown-timeout', '1']);
    await eventually(() => fn.callsOf(webhookId).length === 2, 5000, 'the item left in flight delivered after the restart');
    await eventually(() => fn.callsOf(webhookId)[1]!.answeredAt !== undefined, 2000, 'the redelivery answered');
    assert.equal(await stopCli(second.child), 0);
  });

  it('two signals within 1 s count as one: the shutdown still drains and exits 0', async () => {
    const { fn, start } = await setUp(3000);
    const gateway = await start();
    await configure(gateway.configUrl, fn.url);
    assert.equal(await emit(gateway.eventsUrl, 'slow-3'), 202);
    const webhookId = await firstCallOf(fn, 'slow-3');

    const exit = exitOf(gateway.child);
    // What a Ctrl-C under `npm start` does: one SIGINT from the terminal, one forwarded by npm.
    gateway.child.kill('SIGINT');
    await sleep(200);
    gateway.child.kill('SIGINT');
    await sleep(1000);
    assert.ok(running(gateway.child), `the repeated signal ended the gateway: ${gateway.output()}`);
    const { code, at } = await exit;
    assert.equal(code, 0, gateway.output());
    const answeredAt = fn.callsOf(webhookId)[0]!.answeredAt;
    assert.ok(answeredAt !== undefined && at >= answeredAt, 'the delivery finished before the exit');
  });

  it('a second signal more than 1 s after the first exits at once and leaves the delivery queued', async () => {
    const { fn, start } = await setUp(8000);
    const first = await start();
    await configure(first.configUrl, fn.url);
    assert.equal(await emit(first.eventsUrl, 'slow-4'), 202);
    const webhookId = await firstCallOf(fn, 'slow-4');

    const exit = exitOf(first.child);
    first.child.kill('SIGTERM');
    await sleep(1200);
    assert.ok(running(first.child), `the first signal ended the gateway at once: ${first.output()}`);
    const secondSignalAt = Date.now();
    first.child.kill('SIGTERM');
    const { code, at } = await exit;
    assert.ok(at - secondSignalAt < 1000, `exited ${at - secondSignalAt} ms after the second signal`);
    assert.equal(code, 143, first.output());

    const second = await start();
    await eventually(() => fn.callsOf(webhookId).length === 2, 5000, 'the delivery cut by the second signal delivered after the restart');
    await eventually(() => fn.callsOf(webhookId)[1]!.answeredAt !== undefined, 2000, 'the redelivery answered');
    assert.equal(await stopCli(second.child), 0);
  });
});

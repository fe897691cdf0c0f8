// Graceful shutdown with --queue sqs (issue 15): the real CLI's local workers poll the local SQS server. A delivery
// that finishes while draining deletes its message; one cancelled by --shutdown-timeout is not deleted and becomes
// visible again at once, so the next start delivers it without waiting out the 60 s lease.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/sink.js';
import { SlowFunction, configure, emit, exitOf, firstCallOf, running, sleep } from '../helpers/slow-function.js';
import { awsClientConfig, requireEnv } from './helpers.js';

describe('graceful shutdown with --queue sqs', () => {
  let sqs: SQSClient;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const functions: SlowFunction[] = [];
  before(() => {
    sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
  });
  after(async () => {
    for (const child of children) if (running(child)) child.kill('SIGKILL');
    await Promise.all(functions.map((f) => f.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    sqs.destroy();
  });

  async function setUp(firstDelayMs: number) {
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `shutdown-${randomBytes(4).toString('hex')}` }));
    const dataDir = mkdtempSync(join(tmpdir(), 'eg-shutdown-sqs-'));
    dirs.push(dataDir);
    const fn = await SlowFunction.start(firstDelayMs, (body) => body.includes('"slow-'));
    functions.push(fn);
    const ports = { configPort: await freePort(), eventsPort: await freePort() };
    const args = ['--data-dir', dataDir, '--queue', 'sqs', '--sqs-endpoint', requireEnv('EG_TEST_SQS_ENDPOINT'), '--sqs-queue-url', queueUrl];
    const start = async (extra: string[] = []): Promise<CliGateway> => {
      const gateway = await startCli([...args, ...extra], ports);
      children.push(gateway.child);
      return gateway;
    };
    const messagesLeft = async (): Promise<number> => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    };
    return { fn, start, messagesLeft };
  }

  it('a delivery finishing while draining is deleted from the queue, and the gateway exits 0', async () => {
    const { fn, start, messagesLeft } = await setUp(2500);
    const gateway = await start();
    await configure(gateway.configUrl, fn.url);
    assert.equal(await emit(gateway.eventsUrl, 'slow-sqs-1'), 202);
    const webhookId = await firstCallOf(fn, 'slow-sqs-1');

    const exit = exitOf(gateway.child);
    gateway.child.kill('SIGTERM');
    await sleep(500);
    assert.ok(running(gateway.child), `the gateway exited while a delivery was in flight: ${gateway.output()}`);
    assert.equal(await emit(gateway.eventsUrl, 'during-drain'), 503);
    const { code, at } = await exit;
    assert.equal(code, 0, gateway.output());
    const answeredAt = fn.callsOf(webhookId)[0]!.answeredAt;
    assert.ok(answeredAt !== undefined && at >= answeredAt, 'the gateway exited after the function answered');
    assert.equal(await messagesLeft(), 0, 'the delivered message was deleted; nothing else was sent');
  });

  it('a delivery cut by --shutdown-timeout is not deleted, is visible again at once and delivered after the restart', async () => {
    const { fn, start, messagesLeft } = await setUp(8000);
    const first = await start(['--shutdown-timeout', '1']);
    await configure(first.configUrl, fn.url);
    assert.equal(await emit(first.eventsUrl, 'slow-sqs-2'), 202);
    const webhookId = await firstCallOf(fn, 'slow-sqs-2');

    const signalledAt = Date.now();
    const exit = exitOf(first.child);
    first.child.kill('SIGTERM');
    const { code, at } = await exit;
    assert.equal(code, 0, first.output());
    assert.ok(at - signalledAt >= 900 && at - signalledAt < 4000, `exited ${at - signalledAt} ms after the signal; expected about 1 s`);
    assert.match(first.output(), /left 1 async delivery in flight/);
    assert.equal(await messagesLeft(), 1, 'the unfinished message is still in the queue');

    const second = await start(['--shutdown-timeout', '1']);
    // Well inside the 60 s lease: only a released message comes back this soon.
    await eventually(() => fn.callsOf(webhookId).length === 2, 8000, 'the unfinished message delivered after the restart');
    await eventually(async () => (await messagesLeft()) === 0, 5000, 'the redelivered message deleted');
    assert.equal(await stopCli(second.child), 0);
  });
});

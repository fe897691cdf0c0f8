import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FunctionConfig } from '../../lib/core/model/types.js';
import { InvocationError, syncInvocationErrorMessage } from '../../lib/core/response/index.js';
import { classifyInvocationError } from '../../lib/dispatch/index.js';
import { KinesisInvoker } from '../../lib/invokers/aws/index.js';
import { AwsError, sendAwsError } from './fakes/json-protocol.js';
import { LoopbackServer } from './fakes/server.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const GENERIC = 'Function call failed. Please check logs.';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function streamFunction(streamName: string): FunctionConfig {
  return { space: 'default', functionId: 'stream', type: 'awskinesis', provider: { streamName, region: 'us-east-1' } };
}

async function invocationError(promise: Promise<unknown>): Promise<InvocationError> {
  const error: unknown = await promise.then(
    () => assert.fail('the call succeeded'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof InvocationError, `expected an InvocationError, got ${String(error)}`);
  return error;
}

/** A JSON 1.1 server answering every request with one AWS error, as Kinesis would send it. */
async function erroringKinesis(status: number, code: string, message: string): Promise<LoopbackServer> {
  const server = new LoopbackServer((_req, res) => sendAwsError(res, new AwsError(code, message, status)));
  await server.listen();
  return server;
}

// kinesalite speaks HTTP/1.1 only, and the Kinesis client uses HTTP/2 unless given another handler (docs/architecture.md#testing-without-aws).
const http1 = () => ({ requestHandler: new NodeHttpHandler() });

describe('KinesisInvoker against kinesalite', () => {
  const endpoint = requireEnv('EG_TEST_KINESIS_ENDPOINT');
  const streamName = `eg-invoker-${randomBytes(4).toString('hex')}`;
  const admin = new KinesisClient({ ...awsClientConfig(endpoint), ...http1() });
  const invoker = new KinesisInvoker({ endpoint, maxAttempts: 1, clientConfig: http1() });

  before(async () => {
    await admin.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    for (;;) {
      const { StreamDescription } = await admin.send(new DescribeStreamCommand({ StreamName: streamName }));
      if (StreamDescription?.StreamStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  after(async () => {
    await invoker.close();
    await admin.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => undefined);
    admin.destroy();
  });

  it('[kinesis] puts the payload as one record with a random UUID v4 partition key; the result is its sequence number', async () => {
    const payloads = ['{"eventType":"a","data":"zoë"}', '{"eventType":"b"}'];
    const results = [];
    for (const payload of payloads) results.push(await invoker.invoke(streamFunction(streamName), { payload }));
    for (const result of results) {
      assert.equal(result.status, 200);
      assert.match(result.body.toString(), /^\d+$/);
    }

    const description = await admin.send(new DescribeStreamCommand({ StreamName: streamName }));
    const shardId = description.StreamDescription?.Shards?.[0]?.ShardId;
    const { ShardIterator } = await admin.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const { Records = [] } = await admin.send(new GetRecordsCommand({ ShardIterator }));
    assert.deepEqual(
      Records.map((record) => Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')),
      payloads,
    );
    assert.deepEqual(
      Records.map((record) => record.SequenceNumber),
      results.map((result) => result.body.toString()),
    );
    const keys = Records.map((record) => record.PartitionKey ?? '');
    for (const key of keys) assert.match(key, UUID_V4);
    assert.notEqual(keys[0], keys[1]);
  });

  it('[kinesis] a missing stream is a retryable call failure carrying ResourceNotFoundException', async () => {
    const error = await invocationError(invoker.invoke(streamFunction(`${streamName}-missing`), { payload: '{}' }));
    assert.equal(error.kind, 'call-failed');
    assert.equal(error.code, 'ResourceNotFoundException');
    assert.equal(
      error.message,
      `Function call failed. Error: ResourceNotFoundException: Stream ${streamName}-missing under account 000000000000 not found.`,
    );
    assert.equal(classifyInvocationError(error), 'retry');
    assert.equal(syncInvocationErrorMessage(error), GENERIC);
  });

  it('[kinesis] throttling (ProvisionedThroughputExceededException) is a retryable call failure with its code', async () => {
    const server = await erroringKinesis(400, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000.');
    const throttled = new KinesisInvoker({ endpoint: server.endpoint, maxAttempts: 1, clientConfig: http1() });
    try {
      const error = await invocationError(throttled.invoke(streamFunction(streamName), { payload: '{}' }));
      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, 'ProvisionedThroughputExceededException');
      assert.equal(
        error.message,
        'Function call failed. Error: ProvisionedThroughputExceededException: Rate exceeded for shard shardId-000000000000.',
      );
      assert.equal(classifyInvocationError(error), 'retry');
    } finally {
      await throttled.close();
      await server.stop();
    }
  });

  it('[kinesis] access denied is a call failure with the generic sync message: docs/compatibility.md#function-types gives only Lambda that class', async () => {
    const server = await erroringKinesis(400, 'AccessDeniedException', 'User is not authorized to perform: kinesis:PutRecord');
    const denied = new KinesisInvoker({ endpoint: server.endpoint, maxAttempts: 1, clientConfig: http1() });
    try {
      const error = await invocationError(denied.invoke(streamFunction(streamName), { payload: '{}' }));
      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, 'AccessDeniedException');
      assert.equal(error.message, 'Function call failed. Error: AccessDeniedException: User is not authorized to perform: kinesis:PutRecord');
      assert.equal(syncInvocationErrorMessage(error), GENERIC);
      assert.equal(classifyInvocationError(error), 'permanent', 'docs/compatibility.md#retries-and-timeouts: access denied is permanent for every AWS type');
    } finally {
      await denied.close();
      await server.stop();
    }
  });
});

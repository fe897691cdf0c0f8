import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FunctionConfig } from '../../lib/core/model/types.js';
import { InvocationError, syncInvocationErrorMessage } from '../../lib/core/response/index.js';
import { classifyInvocationError } from '../../lib/dispatch/index.js';
import { FirehoseInvoker } from '../../lib/invokers/aws/index.js';
import { FakeFirehose } from './fakes/firehose.js';

const GENERIC = 'Function call failed. Please check logs.';

function firehoseFunction(deliveryStreamName: string, region = 'us-east-1'): FunctionConfig {
  return { space: 'default', functionId: 'hose', type: 'awsfirehose', provider: { deliveryStreamName, region } };
}

async function invocationError(promise: Promise<unknown>): Promise<InvocationError> {
  const error: unknown = await promise.then(
    () => assert.fail('the call succeeded'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof InvocationError, `expected an InvocationError, got ${String(error)}`);
  return error;
}

describe('FirehoseInvoker against a fake of Firehose', () => {
  let fake: FakeFirehose;
  let invoker: FirehoseInvoker;

  before(async () => {
    fake = await FakeFirehose.start();
    fake.createDeliveryStream('events');
    invoker = new FirehoseInvoker({ endpoint: fake.endpoint, maxAttempts: 1 });
  });
  afterEach(() => {
    fake.fail('events', undefined);
    fake.requests.length = 0;
  });
  after(async () => {
    await invoker.close();
    await fake.stop();
  });

  it('[firehose] puts the payload as one record, no newline added; the result is the RecordId', async () => {
    const payload = '{"eventType":"user.created","data":"zoë ☃"}';
    const result = await invoker.invoke(firehoseFunction('events', 'eu-west-1'), { payload });

    const records = fake.records('events');
    assert.equal(records.length, 1);
    assert.deepEqual(records[0]?.data, Buffer.from(payload));
    assert.deepEqual(result, { status: 200, body: Buffer.from(records[0]?.recordId ?? '') });
    assert.equal(fake.requests[0]?.operation, 'PutRecord');
    assert.equal(fake.requests[0]?.signer?.service, 'firehose');
    assert.equal(fake.requests[0]?.signer?.region, 'eu-west-1');
  });

  it('[firehose] a missing delivery stream is a retryable call failure carrying ResourceNotFoundException', async () => {
    const error = await invocationError(invoker.invoke(firehoseFunction('missing'), { payload: '{}' }));
    assert.equal(error.kind, 'call-failed');
    assert.equal(error.code, 'ResourceNotFoundException');
    assert.equal(error.message, 'Function call failed. Error: ResourceNotFoundException: Firehose missing under account 000000000000 not found.');
    assert.equal(classifyInvocationError(error), 'retry');
    assert.equal(syncInvocationErrorMessage(error), GENERIC);
  });

  for (const [code, status] of [
    ['ThrottlingException', 400],
    ['ServiceUnavailableException', 500],
  ] as const) {
    it(`[firehose] throttling (${status} ${code}) is a retryable call failure with its code`, async () => {
      fake.fail('events', { error: code, status, message: 'Slow down.' });
      const error = await invocationError(invoker.invoke(firehoseFunction('events'), { payload: '{}' }));
      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, code);
      assert.equal(error.message, `Function call failed. Error: ${code}: Slow down.`);
      assert.equal(classifyInvocationError(error), 'retry');
      assert.equal(fake.records('events').length, 1, 'only the record of the first test');
    });
  }

  it('[firehose] access denied is a call failure with the generic sync message: docs/compatibility.md#function-types gives only Lambda that class', async () => {
    fake.fail('events', { error: 'AccessDeniedException', message: 'not authorized to perform: firehose:PutRecord' });
    const error = await invocationError(invoker.invoke(firehoseFunction('events'), { payload: '{}' }));
    assert.equal(error.kind, 'call-failed');
    assert.equal(error.code, 'AccessDeniedException');
    assert.equal(syncInvocationErrorMessage(error), GENERIC);
    assert.equal(classifyInvocationError(error), 'permanent', 'docs/compatibility.md#retries-and-timeouts: access denied is permanent for every AWS type');
  });

  it('[firehose] timeoutMs bounds a slow PutRecord as a retryable timeout', async () => {
    fake.fail('events', { error: 'ServiceUnavailableException', delayMs: 2000 });
    const started = Date.now();
    const error = await invocationError(invoker.invoke(firehoseFunction('events'), { payload: '{}', timeoutMs: 100 }));
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.equal(error.kind, 'timeout');
    assert.equal(classifyInvocationError(error), 'retry');
  });
});

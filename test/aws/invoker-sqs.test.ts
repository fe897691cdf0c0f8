import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionConfig } from '../../lib/core/model/types.js';
import { InvocationError, syncInvocationErrorMessage } from '../../lib/core/response/index.js';
import { classifyInvocationError } from '../../lib/dispatch/index.js';
import { SqsInvoker } from '../../lib/invokers/aws/index.js';
import { AWS_JSON_1_0, AwsError, sendAwsError } from './fakes/json-protocol.js';
import { LoopbackServer } from './fakes/server.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const GENERIC = 'Function call failed. Please check logs.';

function queueFunction(queueUrl: string): FunctionConfig {
  return { space: 'default', functionId: 'queue', type: 'awssqs', provider: { queueUrl, region: 'us-east-1' } };
}

async function invocationError(promise: Promise<unknown>): Promise<InvocationError> {
  const error: unknown = await promise.then(
    () => assert.fail('the call succeeded'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof InvocationError, `expected an InvocationError, got ${String(error)}`);
  return error;
}

describe('SqsInvoker against fauxqs', () => {
  const endpoint = requireEnv('EG_TEST_SQS_ENDPOINT');
  const queueName = `eg-invoker-${randomBytes(4).toString('hex')}`;
  const admin = new SQSClient(awsClientConfig(endpoint));
  const invoker = new SqsInvoker({ endpoint, maxAttempts: 1 });
  let queueUrl = '';

  before(async () => {
    const created = await admin.send(new CreateQueueCommand({ QueueName: queueName }));
    queueUrl = created.QueueUrl ?? '';
  });
  after(async () => {
    await invoker.close();
    await admin.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    admin.destroy();
  });

  it('[sqs] sends the payload as the message body; the result is the MessageId', async () => {
    // Not beyond U+FFFF: fauxqs refuses those characters, which SQS accepts.
    const payload = '{"eventType":"user.created","data":"zoë ☃"}';
    const result = await invoker.invoke(queueFunction(queueUrl), { payload });
    assert.equal(result.status, 200);

    const { Messages = [] } = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    assert.equal(Messages.length, 1);
    assert.equal(Messages[0]?.Body, payload);
    assert.equal(result.body.toString(), Messages[0]?.MessageId);
  });

  it('[sqs] a missing queue is a retryable call failure carrying its AWS code', async () => {
    const missing = queueUrl.replace(queueName, `${queueName}-missing`);
    const error = await invocationError(invoker.invoke(queueFunction(missing), { payload: '{}' }));
    assert.equal(error.kind, 'call-failed');
    assert.equal(error.code, 'QueueDoesNotExist');
    assert.equal(error.message, 'Function call failed. Error: QueueDoesNotExist: The specified queue does not exist.');
    assert.equal(classifyInvocationError(error), 'retry');
    assert.equal(syncInvocationErrorMessage(error), GENERIC);
  });

  it('[sqs] throttling (RequestThrottled) is a retryable call failure with its code', async () => {
    // SQS's JSON protocol, as AWS answers a throttled SendMessage.
    const throttling = new AwsError('com.amazonaws.sqs#RequestThrottled', 'Request is throttled.', 400, { 'x-amzn-query-error': 'RequestThrottled;Sender' });
    const server = new LoopbackServer((_req, res) => sendAwsError(res, throttling, { contentType: AWS_JSON_1_0 }));
    await server.listen();
    const throttled = new SqsInvoker({ endpoint: server.endpoint, maxAttempts: 1 });
    try {
      const error = await invocationError(throttled.invoke(queueFunction(`${server.endpoint}/000000000000/q`), { payload: '{}' }));
      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, 'RequestThrottled');
      assert.equal(error.message, 'Function call failed. Error: RequestThrottled: Request is throttled.');
      assert.equal(classifyInvocationError(error), 'retry');
    } finally {
      await throttled.close();
      await server.stop();
    }
  });
});

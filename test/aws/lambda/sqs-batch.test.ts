import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmfMetrics, sqsBatchHandler, type LambdaContext, type MetricsContext, type SqsEvent } from '../../../lib/lambda/index.js';

function record(messageId: string): SqsEvent['Records'][number] {
  return { messageId, receiptHandle: `receipt-${messageId}`, body: '{}', attributes: {}, messageAttributes: {} };
}

describe('sqsBatchHandler [lambda-handler]', () => {
  it('passes the batch and a context carrying the metrics to handle, and writes what it counted under the service', async () => {
    const documents: string[] = [];
    const seen: Array<{ event: SqsEvent; context: LambdaContext & MetricsContext }> = [];
    const handler = sqsBatchHandler({
      service: 'test-service',
      namespace: 'TestNamespace',
      writeMetrics: (document) => documents.push(document),
      describe: 'the test handler',
      async handle(event, context) {
        seen.push({ event, context });
        context.eventGatewayMetrics?.count('Handled', event.Records.length);
        return { batchItemFailures: [{ itemIdentifier: 'm2' }] };
      },
      close: async () => {},
    });
    const event = { Records: [record('m1'), record('m2')] };

    const response = await handler(event, { awsRequestId: 'request-1' });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: 'm2' }] });
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]?.event, event);
    assert.equal(seen[0]?.context.awsRequestId, 'request-1');
    assert.ok(seen[0]?.context.eventGatewayMetrics instanceof EmfMetrics);
    assert.equal(documents.length, 1);
    const document = JSON.parse(documents[0]!) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string }> } };
    assert.equal(document.Service, 'test-service');
    assert.equal(document.Handled, 2);
    assert.equal(document._aws.CloudWatchMetrics[0]?.Namespace, 'TestNamespace');
  });

  it('works without a context', async () => {
    const handler = sqsBatchHandler({
      service: 'test-service',
      writeMetrics: () => {},
      describe: 'the test handler',
      handle: async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }),
      close: async () => {},
    });

    assert.deepEqual(await handler({ Records: [record('m1')] }), { batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  for (const [label, event] of [
    ['an event without Records', {}],
    ['Records that are not an array', { Records: 'x' }],
    ['no event at all', undefined],
  ] as const) {
    it(`refuses ${label} with a TypeError naming the handler, without calling handle, and counts Errors`, async () => {
      const documents: string[] = [];
      let handled = 0;
      const handler = sqsBatchHandler({
        service: 'test-service',
        writeMetrics: (document) => documents.push(document),
        describe: 'the test handler',
        handle: async () => {
          handled++;
          return { batchItemFailures: [] };
        },
        close: async () => {},
      });

      await assert.rejects(handler(event as unknown as SqsEvent), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.message, 'the test handler expects an SQS event: { Records: [...] }');
        return true;
      });
      assert.equal(handled, 0);
      assert.equal(documents.length, 1);
      assert.equal((JSON.parse(documents[0]!) as Record<string, unknown>).Errors, 1);
    });
  }

  it('closes through the given close', async () => {
    let closed = 0;
    const handler = sqsBatchHandler({
      service: 'test-service',
      describe: 'the test handler',
      handle: async () => ({ batchItemFailures: [] }),
      close: async () => {
        closed++;
      },
    });

    await handler.close();

    assert.equal(closed, 1);
  });
});

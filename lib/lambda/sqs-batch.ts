import middy from '@middy/core';
import { embeddedMetrics, type MetricsContext } from './metrics.js';
import type { BatchResponse, LambdaContext, SqsEvent } from './types.js';

export interface SqsBatchHandlerOptions {
  /** The `Service` dimension of the handler's EMF metrics, e.g. `delivery`. */
  service: string;
  /** The EMF namespace. @default 'EventGateway' */
  namespace?: string;
  /** Receives each EMF document. @default a line on stdout */
  writeMetrics?: (document: string) => void;
  /** Names the handler in the TypeError for an event without `Records`, e.g. `the delivery handler`. */
  describe: string;
  /** Handles a batch; `context.eventGatewayMetrics` holds the invocation's metrics. */
  handle: (event: SqsEvent, context: LambdaContext & MetricsContext) => Promise<BatchResponse>;
  /** Releases what the handler started (tests). */
  close: () => Promise<void>;
}

/** An SQS event source's handler (`ReportBatchItemFailures`), with a `close` for tests. */
export type SqsBatchHandler = ((event: SqsEvent, context?: LambdaContext) => Promise<BatchResponse>) & {
  close(): Promise<void>;
};

/**
 * The middy wrapping shared by the SQS-triggered handlers: refuses an event that is not an SQS batch with a
 * TypeError, and writes the invocation's EMF metrics ({@link embeddedMetrics}) around `handle`.
 */
export function sqsBatchHandler(options: SqsBatchHandlerOptions): SqsBatchHandler {
  const { describe, handle } = options;
  const handler = middy(async (event: SqsEvent, context: LambdaContext & MetricsContext): Promise<BatchResponse> => {
    if (!Array.isArray(event?.Records)) throw new TypeError(`${describe} expects an SQS event: { Records: [...] }`);
    return handle(event, context);
  }).use(embeddedMetrics({ service: options.service, namespace: options.namespace, write: options.writeMetrics }));

  return Object.assign((event: SqsEvent, context: LambdaContext = {}) => handler(event, context as never) as Promise<BatchResponse>, {
    close: options.close,
  });
}

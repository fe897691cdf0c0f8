import type { DynamoDBStreamRecordLike } from '../adapters/registry/dynamodb/index.js';
import type { SqsEventRecord } from '../adapters/queue/sqs/index.js';

/*
 * Lambda and middy shapes, declared structurally (as Powertools does) so that neither @types/aws-lambda nor
 * middy's own types are needed to use the middleware.
 */

/** The parts of the Lambda context the handlers and middleware read. */
export interface LambdaContext {
  functionName?: string;
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** A middy request: the event, the context, the result or error, and per-request state in `internal`. */
export interface MiddyRequestLike<TEvent = unknown, TResult = unknown, TContext = LambdaContext> {
  event: TEvent;
  context: TContext;
  response: TResult | null | undefined;
  error: unknown;
  /** Per-request state; our middleware keys it `eventGateway.<name>`. */
  internal: Record<string, unknown>;
}

type MiddlewareFn<TEvent, TResult, TContext> = (request: MiddyRequestLike<TEvent, TResult, TContext>) => Promise<void> | void;

/** A middy middleware object. Its functions return nothing: a returned value would end the request early. */
export interface MiddlewareLike<TEvent = unknown, TResult = unknown, TContext = LambdaContext> {
  before?: MiddlewareFn<TEvent, TResult, TContext>;
  after?: MiddlewareFn<TEvent, TResult, TContext>;
  onError?: MiddlewareFn<TEvent, TResult, TContext>;
}

/** An SQS event source's event. */
export interface SqsEvent {
  Records: SqsEventRecord[];
}

/** A DynamoDB Streams event source's event. */
export interface DynamoDBStreamEvent {
  Records: DynamoDBStreamRecordLike[];
}

/**
 * The partial-batch answer of an event source mapping with `ReportBatchItemFailures`: SQS message ids, or for a
 * stream the sequence number to resume from (Lambda retries from there, and no later record is checkpointed).
 */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

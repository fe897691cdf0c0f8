export { AwsInvoker, CLOSED, type AwsFunctionType } from './aws-invoker.js';
export { DEADLINE_EXCEEDED } from './call.js';
export { awsErrorDetail, isAwsServiceError, lambdaErrorKind } from './errors.js';
export { FirehoseInvoker, type FirehoseInvokerOptions } from './firehose-invoker.js';
export { KinesisInvoker, type KinesisInvokerOptions } from './kinesis-invoker.js';
export { LambdaInvoker, MAX_FUNCTION_ERROR_TEXT, type LambdaInvokerOptions } from './lambda-invoker.js';
export { SqsInvoker, type SqsInvokerOptions } from './sqs-invoker.js';
export { DEFAULT_AWS_CALL_TIMEOUT_MS, clientKey, clientSettings, staticCredentials } from './settings.js';
export type { AwsInvokerOptions, ClientSettings, StaticCredentials } from './settings.js';

export { Invokers } from './registry.js';
export { HttpInvoker, httpResultError, type HttpInvokerOptions } from './http/index.js';
export { FirehoseInvoker, KinesisInvoker, LambdaInvoker, SqsInvoker } from './aws/index.js';

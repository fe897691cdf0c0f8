export { Invokers } from './registry.js';
export { HttpInvoker, httpResultError, type HttpInvokerOptions } from './http/index.js';

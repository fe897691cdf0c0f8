export { answerOutsideListener, type OutsideListenerOptions } from './outside-listener.js';
export { readBody } from './read-body.js';
export { isLoopbackAddress } from './ip-address.js';

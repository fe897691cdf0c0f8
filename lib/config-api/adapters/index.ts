export { nodeConfigListener, type NodeConfigListenerOptions } from './node.js';

export { PathTree } from './tree.js';
export type { PathMatch } from './tree.js';
export { PathConflictError } from '../go/index.js';

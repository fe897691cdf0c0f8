export { readBody } from './read-body.js';

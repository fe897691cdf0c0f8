export { main, buildProgram } from './main.js';
import { envName } from '../settings/index.js';

/** The hooks setting's variable: bin/event-gateway.js reads it to decide whether TypeScript hooks need tsx. */
export const HOOKS_ENV = envName('hooks');

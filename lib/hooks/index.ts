export { HookRejection, HookRunner, HookVeto, loadHooks } from './runner.js';
export type { GatewayHooks, HookRequest, SystemEventHandler } from './types.js';

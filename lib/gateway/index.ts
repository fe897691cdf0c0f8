export { startGateway, type RunningGateway } from './local.js';
export { resolveOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
export { composeGateway, type ComposeInput, type Composition, type Dispatch } from './compose.js';

export { GatewayNetwork, type GatewayNetworkProps } from './network.js';

export { RouteIndex, type ItemChange } from './route-index.js';
export { RoutingTable, type CorsMatch, type RoutingConfig, type SyncMatch } from './table.js';

export { RoutingTable, type CorsMatch, type RoutingConfig, type SyncMatch } from './table.js';

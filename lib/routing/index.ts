export { LiveRoutingTable } from './live-table.js';

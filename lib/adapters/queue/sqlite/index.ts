export { SqliteDeliveryQueue, type SqliteDeliveryQueueOptions } from './queue.js';
export { QUEUE_MIGRATIONS } from './table.js';

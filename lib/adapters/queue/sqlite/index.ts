export { QUEUE_MIGRATIONS, SqliteDeliveryQueue, type SqliteDeliveryQueueOptions } from './queue.js';

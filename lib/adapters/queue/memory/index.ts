export { MemoryDeliveryQueue, type MemoryDeliveryQueueOptions } from './queue.js';

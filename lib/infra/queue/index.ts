export { DeliveryQueue, MAX_RECEIVE_COUNT, type DeliveryQueueProps } from './delivery-queue.js';

export { DEAD_LETTER_RETENTION, DeliveryQueue, MAX_RECEIVE_COUNT, QUEUE_RETENTION, type DeliveryQueueProps } from './delivery-queue.js';

export {
  DELIVERY_BATCH_SIZE,
  DELIVERY_TIMEOUT,
  DLQ_DRAINER_TIMEOUT,
  INVALIDATION_BATCH_SIZE,
  Workers,
  type WorkersProps,
} from './workers.js';

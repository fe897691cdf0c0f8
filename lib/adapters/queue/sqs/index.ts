export { SqsDeliveryQueue, type SqsDeliveryQueueOptions } from './queue.js';
export {
  DELIVERY_ATTRIBUTES,
  SQS_MAX_MESSAGE_BYTES,
  decodeDeliveryItem,
  decodeDeliveryState,
  receiveCountOf,
  type DeliveryState,
  type SqsEventRecord,
  type SqsRecordAttributeValue,
} from './message.js';
export { bundleBody, decodeBundle, encodeBundleEntry, type BundledItem } from './bundle.js';
export { sqsRecordToDeliveryItem } from './leases.js';
export type { SQSClient } from '@aws-sdk/client-sqs';

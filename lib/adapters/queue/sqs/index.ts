export { SqsDeliveryQueue, type SqsDeliveryQueueOptions } from './queue.js';
export {
  DELIVERY_ATTRIBUTES,
  SQS_MAX_MESSAGE_BYTES,
  bundleBody,
  decodeBundle,
  decodeDeliveryItem,
  decodeDeliveryState,
  encodeBundleEntry,
  receiveCountOf,
  sqsRecordToDeliveryItem,
  type BundledItem,
  type DeliveryState,
  type SqsEventRecord,
  type SqsRecordAttributeValue,
} from './message.js';
export { deleteSqsMessages, receiveSqsRecords, type ReceiveSqsRecordsOptions } from './dlq.js';
export type { SQSClient } from '@aws-sdk/client-sqs';

import type { NewDeliveryItem } from '../../ports/delivery-queue.js';

/**
 * Every {@link NewDeliveryItem} field, in the order a stored item lists them: what a queue adapter keeps of an item,
 * whatever else the caller's object carries. The SQS adapter serialises a message body with exactly these.
 *
 * Adding a field to NewDeliveryItem fails to compile until it is listed here. Then also copy it in the SQLite
 * queue's `toStoredRow` (sqlite/table.ts: a hand-written object literal, for speed) and check it in the SQS `decodeDeliveryItem`.
 */
export const NEW_DELIVERY_ITEM_FIELDS = [
  'id',
  'space',
  'subscriptionId',
  'functionId',
  'eventType',
  'event',
  'authorizerRequest',
  'system',
  'acceptedAt',
] as const satisfies readonly (keyof NewDeliveryItem)[];

const listsEveryField: [Exclude<keyof NewDeliveryItem, (typeof NEW_DELIVERY_ITEM_FIELDS)[number]>] extends [never]
  ? true
  : false = true;
void listsEveryField;

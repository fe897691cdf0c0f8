import { randomFillSync } from 'node:crypto';

/** Random bytes for 256 ids, refilled when used up (one `randomFillSync` call instead of one per id). */
const pool = Buffer.alloc(16 * 256);
let offset = pool.length;

/**
 * A new delivery item id (the `webhook-id` of docs/compatibility.md#signed-deliveries): a UUID version 7 (RFC 9562), a
 * millisecond timestamp followed by 74 random bits. Ids made close in time sort close together, so the durable queue's
 * id index grows at its end: a group commit touches a few index pages instead of one random page per item.
 */
export function newItemId(now: number = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70; // version 7
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

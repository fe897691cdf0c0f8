import { createHmac } from 'node:crypto';
import type { FunctionConfig } from '../core/model/types.js';
import type { NewDeliveryItem } from '../ports/delivery-queue.js';

const SECRET_PREFIX = 'whsec_';

/**
 * Headers of an async delivery (docs/compatibility.md#signed-deliveries): always `webhook-id`, the receiver's
 * idempotency key; with a signing secret also `webhook-timestamp` and `webhook-signature`, as the Standard Webhooks
 * spec defines them.
 */
export function deliveryHeaders(fn: FunctionConfig, item: NewDeliveryItem, body: string, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = { 'webhook-id': item.id };
  if (fn.type !== 'http' || !fn.provider.signingSecret) return headers;
  const timestamp = String(Math.floor(nowMs / 1000));
  headers['webhook-timestamp'] = timestamp;
  headers['webhook-signature'] = signWebhook(fn.provider.signingSecret, item.id, timestamp, body);
  return headers;
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the secret's decoded bytes. */
export function signWebhook(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

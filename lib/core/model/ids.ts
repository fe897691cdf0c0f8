import type { Subscription } from './types.js';

const encoder = new TextEncoder();
const UNESCAPED = /^[A-Za-z0-9\-_.~$&+:=@]*$/;
const HEX = '0123456789ABCDEF';

function keepsByte(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e || // - _ . ~
    b === 0x24 || b === 0x26 || b === 0x2b || b === 0x3a || b === 0x3d || b === 0x40 // $ & + : = @
  );
}

/**
 * Go's `url.PathEscape` (docs/compatibility.md#subscriptions): keeps `A-Z a-z 0-9 - _ . ~ $ & + : = @` and
 * percent-encodes every other UTF-8 byte with upper-case hex (`/` → `%2F`, space → `%20`).
 */
export function pathEscape(s: string): string {
  if (UNESCAPED.test(s)) return s;
  let out = '';
  for (const b of encoder.encode(s)) {
    out += keepsByte(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 0x0f]}`;
  }
  return out;
}

export type SubscriptionKey = Pick<Subscription, 'type' | 'eventType' | 'functionId' | 'path' | 'method'>;

/**
 * The subscription id (docs/compatibility.md#subscriptions): base64url without padding of
 * `async,<eventType>,<functionId>,<pathEscape(path)>,<METHOD>` or `sync,<eventType>,<pathEscape(path)>,<METHOD>`
 * (one sync subscription per space, event type, path and method, whatever its function).
 */
export function subscriptionId(s: SubscriptionKey): string {
  const raw =
    s.type === 'async'
      ? `async,${s.eventType},${s.functionId},${pathEscape(s.path)},${s.method}`
      : `${s.type},${s.eventType},${pathEscape(s.path)},${s.method}`;
  return Buffer.from(raw, 'utf8').toString('base64url');
}

/**
 * The CORS configuration id (docs/compatibility.md#cors-configurations): `<method><pathEscape(path)>`, e.g.
 * `GET%2Fhello`.
 */
export function corsId(method: string, path: string): string {
  return method + pathEscape(path);
}

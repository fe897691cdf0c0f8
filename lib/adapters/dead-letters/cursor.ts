import { InvalidCursorError } from '../../ports/dead-letter-store.js';

/** Where a page of dead letters ends: they are listed newest first by (deadAt, id). */
export type DeadLetterCursorKey = [deadAt: number, id: string];

/** The opaque `cursor` every dead-letter adapter hands out: base64url of the last key's JSON. */
export function encodeDeadLetterCursor(key: DeadLetterCursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Reads a cursor back; anything it did not issue is an {@link InvalidCursorError}. */
export function decodeDeadLetterCursor(cursor: string): DeadLetterCursorKey {
  // Buffer.from skips characters outside the alphabet, so check the alphabet first.
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(key) || key.length !== 2) throw new InvalidCursorError();
  const [deadAt, id] = key as unknown[];
  if (!Number.isSafeInteger(deadAt) || (deadAt as number) < 0 || typeof id !== 'string') throw new InvalidCursorError();
  return [deadAt as number, id];
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `egk_` followed by 43 characters of base64url: 32 random bytes (docs/compatibility.md#access-keys). */
export const ACCESS_KEY_PREFIX = 'egk_';
const KEY_PATTERN = /^egk_[A-Za-z0-9_-]{43}$/;

export function generateAccessKey(): string {
  return ACCESS_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function isAccessKeyFormat(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** A short public id to name a key by (in lists, logs and revocations). */
export function generateKeyId(): string {
  return `key_${randomBytes(9).toString('base64url')}`;
}

export function hashAccessKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The key from an `Authorization: bearer <key>` header (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1).trim();
  return token === '' ? undefined : token;
}

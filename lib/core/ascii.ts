/** ASCII character classes by char code, shared by the URI checks (CloudEvents 1.0 and Go's). */

export const SLASH = 0x2f;
export const COLON = 0x3a;
export const PERCENT = 0x25;

export function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

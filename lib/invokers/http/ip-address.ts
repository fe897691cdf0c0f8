/**
 * IP address text ↔ bytes, with no Node API: the SSRF guard decides on bytes, never on text, so that every
 * spelling of one address gets the same answer. An address is a `Uint8Array` of 4 (IPv4) or 16 (IPv6) bytes.
 */

const MAX_IPV4 = 0xffff_ffff;
const HEX_PART = /^0[xX][0-9a-fA-F]*$/;
const OCTAL_PART = /^0[0-7]+$/;
const DECIMAL_PART = /^(?:0|[1-9][0-9]*)$/;
const STRICT_DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Every IPv4 spelling that `inet_aton` or the WHATWG URL parser accepts: one to four parts, each decimal, octal
 * (leading `0`) or hex (`0x`), the last part filling the remaining bytes (`127.1`, `2130706433`, `0x7f.0.0.1`,
 * `0177.0.0.1`), and one trailing dot. Undefined when the text is not such a literal.
 */
export function parseIpv4Literal(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIpv4Part(part);
    if (value === undefined) return undefined;
    numbers.push(value);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((value) => value > 255)) return undefined;
  // The last part fills the bytes the others left: 32, 24, 16 or 8 bits.
  if (last > MAX_IPV4 / 256 ** numbers.length) return undefined;
  let value = last;
  numbers.forEach((part, index) => {
    value += part * 256 ** (3 - index);
  });
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function parseIpv4Part(part: string): number | undefined {
  // WHATWG reads a bare "0x" as 0.
  if (HEX_PART.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (OCTAL_PART.test(part)) return Number.parseInt(part.slice(1), 8);
  if (DECIMAL_PART.test(part)) return Number(part);
  return undefined;
}

/** The one IPv4 form a configuration should use: four decimal octets without leading zeros. */
export function parseIpv4Strict(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index += 1) {
    const part = parts[index] ?? '';
    if (!STRICT_DECIMAL_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[index] = value;
  }
  return bytes;
}

/**
 * IPv6 text (RFC 4291 §2.2: `::` once at most, an embedded dotted IPv4 tail allowed). A zone (`fe80::1%eth0`) is
 * dropped when `allowZone` is set, and refused otherwise.
 */
export function parseIpv6(text: string, allowZone = false): Uint8Array | undefined {
  let address = text;
  const zoneAt = address.indexOf('%');
  if (zoneAt !== -1) {
    if (!allowZone || zoneAt === address.length - 1) return undefined;
    address = address.slice(0, zoneAt);
  }

  if (address.includes('.')) {
    // An embedded IPv4 tail becomes its two hex groups.
    const lastColon = address.lastIndexOf(':');
    if (lastColon === -1) return undefined;
    const tail = parseIpv4Strict(address.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    const high = ((tail[0] ?? 0) << 8) | (tail[1] ?? 0);
    const low = ((tail[2] ?? 0) << 8) | (tail[3] ?? 0);
    address = `${address.slice(0, lastColon + 1)}${high.toString(16)}:${low.toString(16)}`;
  }

  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? '');
  const rest = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length;
  // `::` stands for one zero group at least.
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;

  const bytes = new Uint8Array(16);
  head.forEach((group, index) => writeGroup(bytes, index, group));
  rest.forEach((group, index) => writeGroup(bytes, 8 - rest.length + index, group));
  return bytes;
}

function groupsOf(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!HEX_GROUP.test(group)) return undefined;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

function writeGroup(bytes: Uint8Array, index: number, value: number): void {
  bytes[index * 2] = value >>> 8;
  bytes[index * 2 + 1] = value & 0xff;
}

/** Dotted quad for IPv4; RFC 5952 text for IPv6 (lower case, the first longest run of zero groups as `::`). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));

  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
    start += length;
  }
  if (bestStart === -1) return groups.map((group) => group.toString(16)).join(':');
  const before = groups.slice(0, bestStart).map((group) => group.toString(16));
  const after = groups.slice(bestStart + bestLength).map((group) => group.toString(16));
  return `${before.join(':')}::${after.join(':')}`;
}

/** Whether the first `prefixLength` bits of `address` equal those of `base` (both of one family). */
export function inPrefix(address: Uint8Array, base: Uint8Array, prefixLength: number): boolean {
  if (address.length !== base.length) return false;
  const wholeBytes = prefixLength >>> 3;
  for (let index = 0; index < wholeBytes; index += 1) if (address[index] !== base[index]) return false;
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((address[wholeBytes] ?? 0) & mask) === ((base[wholeBytes] ?? 0) & mask);
}

/** `bytes` with every bit after the first `prefixLength` cleared. */
export function maskTo(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const masked = new Uint8Array(bytes.length);
  for (let index = 0; index < bytes.length; index += 1) {
    const bitsHere = Math.min(8, Math.max(0, prefixLength - index * 8));
    masked[index] = (bytes[index] ?? 0) & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return masked;
}

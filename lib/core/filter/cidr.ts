/**
 * The `cidr` operator: IPv4 and IPv6 address parsing without regular expressions or I/O. An address is kept as its
 * 16-bit groups (two for IPv4, eight for IPv6), so that a prefix test is a few integer comparisons.
 */

export interface CidrRange {
  readonly family: 4 | 6;
  /** The network's groups, host bits cleared. */
  readonly groups: readonly number[];
  readonly prefixLength: number;
}

/** `10.0.0.0/24` or `2001:db8::/32`; undefined when it is not one. Host bits may be set; they are ignored. */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const groups = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!groups || !isDecimal(lengthText, 3)) return undefined;
  const prefixLength = Number(lengthText);
  const family = groups.length === 2 ? 4 : 6;
  if (prefixLength > groups.length * 16) return undefined;
  return { family, groups: mask(groups, prefixLength), prefixLength };
}

/** True if `address` (an IP address of the range's family) lies in the range. */
export function cidrContains(range: CidrRange, address: string): boolean {
  if (range.family === 4) {
    // The common case without allocating: the address as one 32-bit number.
    const n = ipv4Number(address);
    if (n < 0) return false;
    const bits = range.prefixLength;
    const keep = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((n & keep) >>> 0) === ((range.groups[0]! * 0x10000 + range.groups[1]!) & keep) >>> 0;
  }
  const groups = parseIp(address);
  if (!groups || groups.length !== range.groups.length) return false;
  let bits = range.prefixLength;
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const keep = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((groups[i]! & keep) !== range.groups[i]) return false;
  }
  return true;
}

function mask(groups: number[], prefixLength: number): number[] {
  return groups.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefixLength - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/** Two groups for an IPv4 address, eight for IPv6; undefined for anything else. */
export function parseIp(text: string): number[] | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 (no leading zeros, each part 0 to 255). */
function ipv4Number(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0 || (i === text.length ? dots !== 3 : dots === 3)) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      if (i < text.length) dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  return value;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!isDecimal(part, 3) || (part.length > 1 && part[0] === '0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return [(bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!];
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  // An embedded IPv4 address may only end the address: the tail when `::` is there, else the whole text.
  const head = parseGroups(halves[0]!, !compressed);
  const tail = compressed ? parseGroups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  if (!compressed) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** The colon-separated groups of one side of `::` ('' is none). */
function parseGroups(text: string, ipv4AtEnd: boolean): number[] | undefined {
  if (text === '') return [];
  const pieces = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (ipv4AtEnd && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (!v4) return undefined;
      groups.push(...v4);
    } else if (piece.length === 0 || piece.length > 4 || !isHex(piece)) {
      return undefined;
    } else {
      groups.push(parseInt(piece, 16));
    }
  }
  return groups;
}

function isDecimal(text: string, maxLength: number): boolean {
  if (text.length === 0 || text.length > maxLength) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

import { BlockList, isIP, isIPv4, SocketAddress } from 'node:net';

/**
 * IP addresses as the SSRF guard and the loopback checks read them. Node does the work: the WHATWG URL parser reads
 * every IPv4 spelling a URL or `inet_aton` accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) and writes IPv6
 * in its one canonical form; `net.BlockList` answers range membership. What stays hand-written is small: dropping an
 * IPv6 zone (`fe80::1%eth0`, which the URL parser refuses but `net.connect` accepts), and reading the 16-bit groups of
 * a canonical IPv6 address, to find the IPv4 address carried by mapped, NAT64 and 6to4 forms (no Node API exposes
 * an address's bytes).
 */

export type IpFamily = 'ipv4' | 'ipv6';

/** An address in canonical text (`127.0.0.1`, `::ffff:a9fe:a9fe`) with its family. */
export interface IpAddress {
  readonly address: string;
  readonly family: IpFamily;
}

const IPV4_LITERAL_CHARS = /^[0-9a-fA-FxX.]+$/;
const IPV6_LITERAL_CHARS = /^[0-9a-fA-F:.]+$/;

/**
 * The address an IP-literal host stands for, or undefined when the host is a name to resolve (or no address at all).
 * IPv4 in every form a URL parser or `inet_aton` reads, with an optional trailing dot; IPv6 with or without brackets,
 * a zone (`%eth0`, `%25eth0`) being dropped.
 */
export function readIpLiteral(host: string): IpAddress | undefined {
  // Four decimal numbers without leading zeros (what `dns.lookup` answers) are already canonical.
  if (isIPv4(host)) return { address: host, family: 'ipv4' };
  let text = host;
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return undefined;
    text = text.slice(1, -1);
    if (!text.includes(':')) return undefined;
  }
  if (text.includes(':')) {
    const zoneAt = text.indexOf('%');
    if (zoneAt !== -1) {
      if (zoneAt === text.length - 1) return undefined;
      text = text.slice(0, zoneAt);
    }
    if (!IPV6_LITERAL_CHARS.test(text)) return undefined;
    const hostname = urlHostname(`[${text}]`);
    return hostname === undefined ? undefined : { address: hostname.slice(1, -1), family: 'ipv6' };
  }
  if (!IPV4_LITERAL_CHARS.test(text)) return undefined;
  const hostname = urlHostname(text);
  return hostname !== undefined && isIP(hostname) === 4 ? { address: hostname, family: 'ipv4' } : undefined;
}

function urlHostname(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** The eight 16-bit groups of a canonical IPv6 address (as {@link readIpLiteral} gives it: no dotted tail). */
export function ipv6Groups(canonical: string): number[] {
  const [head = '', tail] = canonical.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const before = parse(head);
  const after = tail === undefined ? [] : parse(tail);
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

/** Canonical IPv6 text of eight 16-bit groups. */
export function formatIpv6(groups: readonly number[]): string {
  return (urlHostname(`[${groups.map((group) => group.toString(16)).join(':')}]`) ?? '').slice(1, -1);
}

/** The IPv4 address in the two groups starting at `group` (`a9fe`, `a9fe` → `169.254.169.254`). */
export function embeddedIpv4(groups: readonly number[], group: number): string {
  const high = groups[group] ?? 0;
  const low = groups[group + 1] ?? 0;
  return `${high >>> 8}.${high & 0xff}.${low >>> 8}.${low & 0xff}`;
}

/** A `net.SocketAddress` for a {@link BlockList} check, so that the address text is parsed once. */
export function socketAddress(ip: IpAddress): SocketAddress {
  return new SocketAddress({ address: ip.address, family: ip.family });
}

/** One range as a {@link BlockList}. `base` in canonical form. */
export function rangeList(base: string, prefixLength: number, family: IpFamily): BlockList {
  const list = new BlockList();
  list.addSubnet(base, prefixLength, family);
  return list;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a socket's address (`req.socket.remoteAddress`) is loopback: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into
 * IPv6 (`::ffff:127.0.0.1`, which `net.BlockList` matches against the IPv4 range).
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const version = isIP(address);
  return version !== 0 && LOOPBACK.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

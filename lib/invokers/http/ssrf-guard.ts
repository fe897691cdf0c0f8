import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';
import type { BlockList, LookupFunction, SocketAddress } from 'node:net';
import {
  embeddedIpv4,
  formatIpv6,
  ipv6Groups,
  rangeList,
  readIpLiteral,
  socketAddress,
  type IpAddress,
} from '../../http/ip-address.js';

/**
 * The SSRF guard of `http` functions (docs/compatibility.md#ssrf-guard): which addresses the gateway may connect to.
 * The decision is made on the address actually connected to (after name resolution), so every spelling of an address
 * and every DNS answer, including one that changes between calls (DNS rebinding), gets the same check. Addresses are
 * read by the URL parser and ranges checked by `net.BlockList` (lib/http/ip-address.ts); the tables below are the
 * policy: which ranges are refused, and the words a refusal gives.
 */

/** An address range from `--allow-targets`. IPv4-mapped IPv6 ranges (`::ffff:a.b.c.d/104`) are stored as IPv4. */
export class Cidr {
  private readonly list: BlockList;

  private constructor(
    readonly family: 4 | 6,
    private readonly base: string,
    readonly prefixLength: number,
  ) {
    this.list = rangeList(base, prefixLength, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** `10.0.0.0/8`, `::1/128`, or a bare address (a single host). Throws `InvalidCidrError`. */
  static parse(text: string): Cidr {
    const trimmed = text.trim();
    const slash = trimmed.indexOf('/');
    const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
    // Configuration takes one spelling only: four decimal numbers for IPv4, and no IPv6 zone.
    const family = isIPv4(addressText) ? 4 : isIPv6(addressText) && !addressText.includes('%') ? 6 : undefined;
    if (family === undefined) {
      throw new InvalidCidrError(
        text,
        'expected an IPv4 or IPv6 address with an optional prefix length, such as 10.0.0.0/8 or ::1/128' +
          ' (IPv4 as four decimal numbers)',
      );
    }
    const maxLength = family === 4 ? 32 : 128;
    let prefixLength = maxLength;
    if (slash !== -1) {
      const lengthText = trimmed.slice(slash + 1);
      if (!/^(?:0|[1-9][0-9]*)$/.test(lengthText) || Number(lengthText) > maxLength) {
        throw new InvalidCidrError(text, `the prefix length of an IPv${family} range is a whole number from 0 to ${maxLength}`);
      }
      prefixLength = Number(lengthText);
    }
    if (family === 4) return new Cidr(4, maskedIpv4(addressText.split('.').map(Number), prefixLength), prefixLength);
    const groups = ipv6Groups(readIpLiteral(addressText)?.address ?? '::');
    if (prefixLength >= 96 && isIpv4Mapped(groups)) {
      const octets = embeddedIpv4(groups, 6).split('.').map(Number);
      return new Cidr(4, maskedIpv4(octets, prefixLength - 96), prefixLength - 96);
    }
    return new Cidr(6, formatIpv6(masked(groups, 16, prefixLength)), prefixLength);
  }

  /** Whether the range holds `address` (any spelling `isAddressAllowed` reads; an IPv4-mapped one counts as IPv4). */
  contains(address: string): boolean {
    const ip = readIpLiteral(address);
    return ip !== undefined && this.list.check(ip.address, ip.family);
  }

  /** @internal Family-strict: an IPv4 range does not hold an IPv6 address here; the guard unwraps mapped forms. */
  holds(ip: IpAddress, socket: SocketAddress): boolean {
    return (ip.family === 'ipv4') === (this.family === 4) && this.list.check(socket);
  }

  toString(): string {
    return `${this.base}/${this.prefixLength}`;
  }
}

/** `values` (octets or 16-bit groups) with every bit after the first `prefixLength` cleared. */
function masked(values: readonly number[], bitsPerValue: number, prefixLength: number): number[] {
  return values.map((value, index) => {
    const kept = Math.min(bitsPerValue, Math.max(0, prefixLength - index * bitsPerValue));
    return kept === 0 ? 0 : value & ~((1 << (bitsPerValue - kept)) - 1);
  });
}

function maskedIpv4(octets: readonly number[], prefixLength: number): string {
  return masked(octets, 8, prefixLength).join('.');
}

function isIpv4Mapped(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

export class InvalidCidrError extends Error {
  readonly input: string;

  constructor(input: string, problem: string) {
    super(`invalid target range "${input}": ${problem}`);
    this.name = 'InvalidCidrError';
    this.input = input;
  }
}

/** `"127.0.0.1/32,10.0.0.0/8,::1/128"` (commas, optional spaces) → ranges. Empty or blank text → none. */
export function parseCidrList(text: string): Cidr[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    if (item.trim() === '') {
      throw new InvalidCidrError(text, 'empty entry in the comma-separated list');
    }
    return Cidr.parse(item);
  });
}

export interface TargetPolicy {
  /** Loopback (127.0.0.0/8, ::1) is reachable: `--dev`. */
  readonly allowLoopback: boolean;
  /** Ranges opened whatever else they cover: `--allow-targets`. */
  readonly allow: readonly Cidr[];
}

/** The production policy: nothing internal is reachable. */
export const STRICT_TARGET_POLICY: TargetPolicy = Object.freeze({ allowLoopback: false, allow: Object.freeze([]) });

/** The policy of a gateway started with `--dev` and/or `--allow-targets <cidr,...>`. Throws `InvalidCidrError`. */
export function targetPolicyFromFlags(flags: { dev: boolean; allowTargets?: string | undefined }): TargetPolicy {
  return { allowLoopback: flags.dev, allow: parseCidrList(flags.allowTargets ?? '') };
}

export type AddressDecision = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: AddressDecision = Object.freeze({ allowed: true });

interface Rule {
  readonly list: BlockList;
  readonly label: string;
  readonly loopback?: boolean;
  /** For IPv6 forms that carry an IPv4 address: the form's name and the group where the IPv4 address starts. */
  readonly embeds?: { readonly form: string; readonly group: number };
}

function rule(cidr: string, label: string, extra: Pick<Rule, 'loopback' | 'embeds'> = {}): Rule {
  const [base = '', length = ''] = cidr.split('/');
  return { list: rangeList(base, Number(length), base.includes(':') ? 'ipv6' : 'ipv4'), label: `${label} ${cidr}`, ...extra };
}

// First match wins, so a specific entry comes before the range that holds it. Each table is checked only with
// addresses of its family: `net.BlockList` would match an IPv4-mapped address against an IPv4 range.
const IPV4_RULES: readonly Rule[] = [
  rule('0.0.0.0/8', 'unspecified ("this network")'),
  rule('10.0.0.0/8', 'private'),
  rule('100.64.0.0/10', 'carrier-grade NAT shared'),
  rule('127.0.0.0/8', 'loopback', { loopback: true }),
  rule('169.254.169.254/32', 'cloud instance metadata'),
  rule('169.254.170.2/32', 'ECS task metadata'),
  rule('169.254.0.0/16', 'link-local'),
  rule('172.16.0.0/12', 'private'),
  rule('192.0.0.0/24', 'IETF protocol assignments'),
  rule('192.0.2.0/24', 'documentation (TEST-NET-1)'),
  rule('192.88.99.0/24', '6to4 relay anycast'),
  rule('192.168.0.0/16', 'private'),
  rule('198.18.0.0/15', 'benchmarking'),
  rule('198.51.100.0/24', 'documentation (TEST-NET-2)'),
  rule('203.0.113.0/24', 'documentation (TEST-NET-3)'),
  rule('224.0.0.0/4', 'multicast'),
  rule('255.255.255.255/32', 'broadcast'),
  rule('240.0.0.0/4', 'reserved'),
];

const IPV6_RULES: readonly Rule[] = [
  rule('::/128', 'unspecified'),
  rule('::1/128', 'loopback', { loopback: true }),
  rule('::ffff:0:0/96', 'IPv4-mapped', { embeds: { form: 'IPv4-mapped', group: 6 } }),
  rule('::ffff:0:0:0/96', 'IPv4-translated', { embeds: { form: 'IPv4-translated', group: 6 } }),
  rule('::/96', 'IPv4-compatible', { embeds: { form: 'IPv4-compatible', group: 6 } }),
  rule('64:ff9b::/96', 'NAT64', { embeds: { form: 'NAT64', group: 6 } }),
  rule('64:ff9b:1::/48', 'local-use NAT64'),
  rule('100::/64', 'discard-only'),
  rule('2001::/32', 'Teredo'),
  rule('2001:2::/48', 'benchmarking'),
  rule('2001::/23', 'IETF protocol assignments'),
  rule('2001:db8::/32', 'documentation'),
  rule('2002::/16', '6to4', { embeds: { form: '6to4', group: 1 } }),
  rule('3fff::/20', 'documentation'),
  rule('fd00:ec2::254/128', 'cloud instance metadata'),
  rule('fc00::/7', 'unique local'),
  rule('fe80::/10', 'link-local'),
  rule('fec0::/10', 'site-local'),
  rule('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST = rangeList('2000::', 3, 'ipv6');

/**
 * Whether the guard lets a connection go to `address`: an IPv4 or IPv6 address as `dns.lookup` returns it (any IPv4
 * spelling that `inet_aton` reads is accepted too). Refused unless an `allow` range covers it: the ranges in
 * IPV4_RULES/IPV6_RULES (loopback unless `allowLoopback`), every IPv6 address outside 2000::/3, and the
 * IPv4-mapped, -translated, -compatible, NAT64 and 6to4 forms of refused IPv4 addresses. Text that is not an IP
 * address is refused.
 */
export function isAddressAllowed(address: string, policy: TargetPolicy): AddressDecision {
  const ip = readIpLiteral(address);
  if (ip === undefined) return { allowed: false, reason: `not an IP address: ${JSON.stringify(address)}` };
  const reason = refusalReason(ip, policy);
  return reason === undefined ? ALLOWED : { allowed: false, reason };
}

function refusalReason(ip: IpAddress, policy: TargetPolicy): string | undefined {
  const socket = socketAddress(ip);
  for (const range of policy.allow) if (range.holds(ip, socket)) return undefined;
  const isIpv4 = ip.family === 'ipv4';
  for (const candidate of isIpv4 ? IPV4_RULES : IPV6_RULES) {
    if (!candidate.list.check(socket)) continue;
    if (candidate.loopback === true && policy.allowLoopback) return undefined;
    if (candidate.embeds === undefined) return candidate.label;
    const ipv4 = embeddedIpv4(ipv6Groups(ip.address), candidate.embeds.group);
    const inner = refusalReason({ address: ipv4, family: 'ipv4' }, policy);
    return inner === undefined ? undefined : `${candidate.embeds.form} IPv6 form of ${ipv4}: ${inner}`;
  }
  // Outside global unicast, IPv6 space is unassigned.
  if (!isIpv4 && !GLOBAL_UNICAST.check(socket)) return 'not global unicast (outside 2000::/3)';
  return undefined;
}

/**
 * The address an IP-literal URL host stands for, in canonical text (`127.0.0.1`, `::ffff:a9fe:a9fe`), or undefined
 * when the host is a name to resolve. Reads what a URL parser or libc reads as an address: IPv4 in decimal
 * (`2130706433`), octal (`0177.0.0.1`), hex (`0x7f.0.0.1`, `0x7f000001`) and short (`127.1`) forms with an optional
 * trailing dot, and IPv6 with or without brackets (`[::ffff:169.254.169.254]`), a zone being dropped.
 */
export function normaliseHostLiteral(host: string): string | undefined {
  return readIpLiteral(host)?.address;
}

/** A connection the guard refused. Its `code` is `ERR_SSRF_REFUSED`. */
export class SsrfRefusedError extends Error {
  readonly code = 'ERR_SSRF_REFUSED';
  readonly hostname: string;
  readonly address: string;
  readonly reason: string;

  constructor(hostname: string, address: string, reason: string) {
    super(`connection to ${address} refused by the SSRF guard (${reason})`);
    this.name = 'SsrfRefusedError';
    this.hostname = hostname;
    this.address = address;
    this.reason = reason;
  }
}

/** The text of a refused call, in the words of Go's dialer: `dial tcp 127.0.0.1:8080: connection refused by …`. */
export function refusalDetail(address: string, port: number, reason: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `dial tcp ${host}:${port}: connection refused by the SSRF guard (${reason})`;
}

/** The refusal in a transport error, however undici or `net` wrapped it (cause, AggregateError). */
export function findSsrfRefusal(error: unknown, depth = 0): SsrfRefusedError | undefined {
  if (error instanceof SsrfRefusedError) return error;
  if (!(error instanceof Error) || depth > 4) return undefined;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = findSsrfRefusal(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return findSsrfRefusal(error.cause, depth + 1);
}

export type LookupRefusedListener = (hostname: string, address: string, reason: string) => void;

/**
 * `baseLookup` with the guard on its answers, for `net.connect`'s `lookup` option, so that the address checked is
 * the one connected to. Plain form: a refused address fails the lookup with `SsrfRefusedError`. `{ all: true }`
 * form (happy eyeballs): refused addresses are dropped, and the lookup fails only when none is left. `onRefused`
 * hears each failed lookup with the first refused address.
 */
export function guardedLookup(
  policy: TargetPolicy,
  baseLookup: LookupFunction = dnsLookup,
  onRefused?: LookupRefusedListener,
): LookupFunction {
  const refuse = (hostname: string, address: string, reason: string): SsrfRefusedError => {
    onRefused?.(hostname, address, reason);
    return new SsrfRefusedError(hostname, address, reason);
  };
  return (hostname, options, callback) => {
    baseLookup(hostname, options, (error, result, family) => {
      if (error !== null) {
        callback(error, result, family);
        return;
      }
      if (typeof result === 'string') {
        const decision = isAddressAllowed(result, policy);
        if (decision.allowed) callback(null, result, family);
        else callback(refuse(hostname, result, decision.reason), '');
        return;
      }
      const allowed: LookupAddress[] = [];
      let refused: { address: string; reason: string } | undefined;
      for (const entry of result) {
        const decision = isAddressAllowed(entry.address, policy);
        if (decision.allowed) allowed.push(entry);
        else refused ??= { address: entry.address, reason: decision.reason };
      }
      if (refused === undefined || allowed.length > 0) callback(null, allowed);
      else callback(refuse(hostname, refused.address, refused.reason), []);
    });
  };
}

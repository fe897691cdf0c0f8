import assert from 'node:assert/strict';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Sink, type SinkResponder } from '../helpers/sink.js';
import { connect, isIP, type LookupFunction } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { FunctionConfig } from '../../lib/core/model/types.js';
import { InvocationError } from '../../lib/core/response/index.js';
import {
  Cidr,
  HttpInvoker,
  InvalidCidrError,
  STRICT_TARGET_POLICY,
  SsrfRefusedError,
  guardedLookup,
  isAddressAllowed,
  normaliseHostLiteral,
  parseCidrList,
  targetPolicyFromFlags,
} from '../../lib/invokers/http/index.js';
import type { TargetPolicy } from '../../lib/invokers/http/index.js';

// assert.ok always gets a message here: without one, Node re-parses this (transpiled) file to build it, which can
// take minutes.
// No test here sends a packet beyond loopback: addresses outside 127.0.0.0/8 are only ever given to the decision
// functions or to the injected resolver, never connected to.

const DEV: TargetPolicy = { allowLoopback: true, allow: [] };

function refusal(address: string, policy: TargetPolicy = STRICT_TARGET_POLICY): string | undefined {
  const decision = isAddressAllowed(address, policy);
  return decision.allowed ? undefined : decision.reason;
}

/** A target: a {@link Sink} that answers `ok` unless a test sets its own responder. */
const answerOk: SinkResponder = (_req, res) => res.end('ok');

async function startRecorder(): Promise<Sink> {
  const sink = await Sink.start();
  sink.respond = answerOk;
  return sink;
}

/** What a target received, as `METHOD /path` lines. */
function requestLines(sink: Sink): string[] {
  return sink.received.map((r) => `${r.method} ${r.url}`);
}

/** An injected resolver: made-up names only, never real DNS. */
function fakeResolver(answers: Readonly<Record<string, readonly string[]>>, asked: string[] = []): LookupFunction {
  return (hostname, options, callback) => {
    asked.push(hostname);
    const addresses = answers[hostname];
    if (addresses === undefined) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      return;
    }
    const entries = addresses.map((address) => ({ address, family: isIP(address) }));
    if (options.all === true) callback(null, entries);
    else callback(null, entries[0]?.address ?? '', entries[0]?.family ?? 4);
  };
}

interface LookupOutcome {
  error: NodeJS.ErrnoException | null;
  result: string | LookupAddress[];
  family: number | undefined;
}

function runLookup(lookup: LookupFunction, hostname: string, options: LookupOptions): Promise<LookupOutcome> {
  return new Promise((resolve) => {
    lookup(hostname, options, (error, result, family) => resolve({ error, result, family }));
  });
}

function httpFunction(url: string): FunctionConfig {
  return { space: 'default', functionId: 'fn', type: 'http', provider: { url } };
}

async function invocationError(promise: Promise<unknown>): Promise<InvocationError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InvocationError, `expected an InvocationError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('Function: isAddressAllowed', () => {
  it('refuses every internal, special and reserved IPv4 range by default, saying which', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback 127.0.0.0/8'],
      ['127.255.255.254', 'loopback 127.0.0.0/8'],
      ['169.254.169.254', 'cloud instance metadata 169.254.169.254/32'],
      ['169.254.170.2', 'ECS task metadata 169.254.170.2/32'],
      ['169.254.0.1', 'link-local 169.254.0.0/16'],
      ['169.254.255.255', 'link-local 169.254.0.0/16'],
      ['10.0.0.1', 'private 10.0.0.0/8'],
      ['10.255.255.255', 'private 10.0.0.0/8'],
      ['172.16.0.1', 'private 172.16.0.0/12'],
      ['172.31.255.255', 'private 172.16.0.0/12'],
      ['192.168.0.1', 'private 192.168.0.0/16'],
      ['192.168.255.255', 'private 192.168.0.0/16'],
      ['100.64.0.1', 'carrier-grade NAT shared 100.64.0.0/10'],
      ['100.100.100.200', 'carrier-grade NAT shared 100.64.0.0/10'],
      ['100.127.255.255', 'carrier-grade NAT shared 100.64.0.0/10'],
      ['0.0.0.0', 'unspecified ("this network") 0.0.0.0/8'],
      ['0.255.255.255', 'unspecified ("this network") 0.0.0.0/8'],
      ['224.0.0.1', 'multicast 224.0.0.0/4'],
      ['239.255.255.250', 'multicast 224.0.0.0/4'],
      ['240.0.0.1', 'reserved 240.0.0.0/4'],
      ['255.255.255.254', 'reserved 240.0.0.0/4'],
      ['255.255.255.255', 'broadcast 255.255.255.255/32'],
      ['192.0.0.170', 'IETF protocol assignments 192.0.0.0/24'],
      ['192.0.2.1', 'documentation (TEST-NET-1) 192.0.2.0/24'],
      ['198.51.100.7', 'documentation (TEST-NET-2) 198.51.100.0/24'],
      ['203.0.113.9', 'documentation (TEST-NET-3) 203.0.113.0/24'],
      ['198.18.0.1', 'benchmarking 198.18.0.0/15'],
      ['198.19.255.255', 'benchmarking 198.18.0.0/15'],
      ['192.88.99.1', '6to4 relay anycast 192.88.99.0/24'],
    ];
    for (const [address, reason] of cases) assert.equal(refusal(address), reason, address);
  });

  it('refuses loopback, unspecified, link-local, unique local, multicast and special IPv6 ranges by default', () => {
    const cases: Array<[string, string]> = [
      ['::1', 'loopback ::1/128'],
      ['0:0:0:0:0:0:0:1', 'loopback ::1/128'],
      ['::', 'unspecified ::/128'],
      ['fe80::1', 'link-local fe80::/10'],
      ['febf:ffff::1', 'link-local fe80::/10'],
      ['fc00::1', 'unique local fc00::/7'],
      ['fd12:3456:789a::1', 'unique local fc00::/7'],
      ['fd00:ec2::254', 'cloud instance metadata fd00:ec2::254/128'],
      ['fd00:ec2::23', 'unique local fc00::/7'],
      ['ff02::1', 'multicast ff00::/8'],
      ['ff0e::101', 'multicast ff00::/8'],
      ['fec0::1', 'site-local fec0::/10'],
      ['100::1', 'discard-only 100::/64'],
      ['2001:db8::1', 'documentation 2001:db8::/32'],
      ['3fff:1::1', 'documentation 3fff::/20'],
      ['2001::1', 'Teredo 2001::/32'],
      ['2001:2::1', 'benchmarking 2001:2::/48'],
      ['2001:1::1', 'IETF protocol assignments 2001::/23'],
      ['64:ff9b:1::a', 'local-use NAT64 64:ff9b:1::/48'],
      ['4000::1', 'not global unicast (outside 2000::/3)'],
      ['1234::1', 'not global unicast (outside 2000::/3)'],
    ];
    for (const [address, reason] of cases) assert.equal(refusal(address), reason, address);
  });

  it('refuses the IPv4-mapped, -translated, -compatible, NAT64 and 6to4 forms of refused IPv4 addresses', () => {
    const metadata = 'cloud instance metadata 169.254.169.254/32';
    const cases: Array<[string, string]> = [
      ['::ffff:169.254.169.254', `IPv4-mapped IPv6 form of 169.254.169.254: ${metadata}`],
      ['::ffff:a9fe:a9fe', `IPv4-mapped IPv6 form of 169.254.169.254: ${metadata}`],
      ['0:0:0:0:0:ffff:a9fe:a9fe', `IPv4-mapped IPv6 form of 169.254.169.254: ${metadata}`],
      ['::FFFF:A9FE:A9FE', `IPv4-mapped IPv6 form of 169.254.169.254: ${metadata}`],
      ['64:ff9b::a9fe:a9fe', `NAT64 IPv6 form of 169.254.169.254: ${metadata}`],
      ['64:ff9b::169.254.169.254', `NAT64 IPv6 form of 169.254.169.254: ${metadata}`],
      ['2002:a9fe:a9fe::', `6to4 IPv6 form of 169.254.169.254: ${metadata}`],
      ['2002:a9fe:a9fe:1:2:3:4:5', `6to4 IPv6 form of 169.254.169.254: ${metadata}`],
      ['::ffff:0:a9fe:a9fe', `IPv4-translated IPv6 form of 169.254.169.254: ${metadata}`],
      ['::169.254.169.254', `IPv4-compatible IPv6 form of 169.254.169.254: ${metadata}`],
      ['::a9fe:a9fe', `IPv4-compatible IPv6 form of 169.254.169.254: ${metadata}`],
      ['::ffff:169.254.170.2', 'IPv4-mapped IPv6 form of 169.254.170.2: ECS task metadata 169.254.170.2/32'],
      ['::ffff:127.0.0.1', 'IPv4-mapped IPv6 form of 127.0.0.1: loopback 127.0.0.0/8'],
      ['::ffff:7f00:1', 'IPv4-mapped IPv6 form of 127.0.0.1: loopback 127.0.0.0/8'],
      ['::7f00:1', 'IPv4-compatible IPv6 form of 127.0.0.1: loopback 127.0.0.0/8'],
      ['64:ff9b::7f00:1', 'NAT64 IPv6 form of 127.0.0.1: loopback 127.0.0.0/8'],
      ['2002:7f00:1::', '6to4 IPv6 form of 127.0.0.1: loopback 127.0.0.0/8'],
      ['::ffff:10.1.2.3', 'IPv4-mapped IPv6 form of 10.1.2.3: private 10.0.0.0/8'],
      ['::ffff:172.16.5.4', 'IPv4-mapped IPv6 form of 172.16.5.4: private 172.16.0.0/12'],
      ['64:ff9b::c0a8:101', 'NAT64 IPv6 form of 192.168.1.1: private 192.168.0.0/16'],
      ['2002:c0a8:101::1', '6to4 IPv6 form of 192.168.1.1: private 192.168.0.0/16'],
      ['::ffff:100.64.0.1', 'IPv4-mapped IPv6 form of 100.64.0.1: carrier-grade NAT shared 100.64.0.0/10'],
      ['::ffff:0.0.0.0', 'IPv4-mapped IPv6 form of 0.0.0.0: unspecified ("this network") 0.0.0.0/8'],
      ['::ffff:224.0.0.1', 'IPv4-mapped IPv6 form of 224.0.0.1: multicast 224.0.0.0/4'],
      ['::ffff:255.255.255.255', 'IPv4-mapped IPv6 form of 255.255.255.255: broadcast 255.255.255.255/32'],
    ];
    for (const [address, reason] of cases) assert.equal(refusal(address), reason, address);
  });

  it('refuses every IPv4 spelling of 169.254.169.254 and 127.0.0.1, as inet_aton reads them', () => {
    const spellings: Array<[string, string]> = [
      ['2852039166', 'cloud instance metadata 169.254.169.254/32'],
      ['0251.0376.0251.0376', 'cloud instance metadata 169.254.169.254/32'],
      ['0xa9fea9fe', 'cloud instance metadata 169.254.169.254/32'],
      ['0xA9.0xFE.0xA9.0xFE', 'cloud instance metadata 169.254.169.254/32'],
      ['169.254.43518', 'cloud instance metadata 169.254.169.254/32'],
      ['169.16689662', 'cloud instance metadata 169.254.169.254/32'],
      ['0251.0xfe.43518', 'cloud instance metadata 169.254.169.254/32'],
      ['2130706433', 'loopback 127.0.0.0/8'],
      ['017700000001', 'loopback 127.0.0.0/8'],
      ['0177.0.0.1', 'loopback 127.0.0.0/8'],
      ['0x7f.0.0.1', 'loopback 127.0.0.0/8'],
      ['0x7f000001', 'loopback 127.0.0.0/8'],
      ['0x7f.1', 'loopback 127.0.0.0/8'],
      ['127.1', 'loopback 127.0.0.0/8'],
      ['127.0.1', 'loopback 127.0.0.0/8'],
      ['127.0.0.1.', 'loopback 127.0.0.0/8'],
      ['0', 'unspecified ("this network") 0.0.0.0/8'],
    ];
    for (const [address, reason] of spellings) assert.equal(refusal(address), reason, address);
  });

  it('refuses text that is not an IP address', () => {
    assert.equal(refusal('fn.test'), 'not an IP address: "fn.test"');
    assert.equal(refusal(''), 'not an IP address: ""');
    assert.equal(refusal('1.2.3.4.5'), 'not an IP address: "1.2.3.4.5"');
    assert.equal(refusal('256.0.0.1'), 'not an IP address: "256.0.0.1"');
    assert.equal(refusal('1::2::3'), 'not an IP address: "1::2::3"');
  });

  it('allows public addresses and the first addresses outside each refused range', () => {
    const allowed = [
      '8.8.8.8',
      '1.1.1.1',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '169.253.255.255',
      '169.255.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '223.255.255.255',
      '2001:4860:4860::8888',
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      '2002:808:808::1',
    ];
    for (const address of allowed) assert.deepEqual(isAddressAllowed(address, STRICT_TARGET_POLICY), { allowed: true }, address);
  });

  it('lets --allow-targets 127.0.0.1/32 open 127.0.0.1 and its mapped form, but not 127.0.0.2 or ::1', () => {
    const policy: TargetPolicy = { allowLoopback: false, allow: parseCidrList('127.0.0.1/32') };

    assert.deepEqual(isAddressAllowed('127.0.0.1', policy), { allowed: true });
    assert.deepEqual(isAddressAllowed('::ffff:127.0.0.1', policy), { allowed: true });
    assert.deepEqual(isAddressAllowed('2130706433', policy), { allowed: true });
    assert.equal(refusal('127.0.0.2', policy), 'loopback 127.0.0.0/8');
    assert.equal(refusal('::1', policy), 'loopback ::1/128');
    assert.equal(refusal('169.254.169.254', policy), 'cloud instance metadata 169.254.169.254/32');
  });

  it('lets allowed ranges open whatever they cover, private and metadata addresses included', () => {
    const policy: TargetPolicy = { allowLoopback: false, allow: parseCidrList('10.0.0.0/8, fc00::/7, 169.254.169.254') };

    assert.deepEqual(isAddressAllowed('10.20.30.40', policy), { allowed: true });
    assert.deepEqual(isAddressAllowed('::ffff:10.20.30.40', policy), { allowed: true });
    assert.deepEqual(isAddressAllowed('64:ff9b::a14:1e28', policy), { allowed: true });
    assert.deepEqual(isAddressAllowed('fd12::1', policy), { allowed: true });
    assert.deepEqual(isAddressAllowed('169.254.169.254', policy), { allowed: true });
    assert.equal(refusal('169.254.169.253', policy), 'link-local 169.254.0.0/16');
    assert.equal(refusal('11.0.0.1', policy), undefined);
    assert.equal(refusal('172.16.0.1', policy), 'private 172.16.0.0/12');
  });

  it('lets allowLoopback (--dev) open 127.0.0.0/8 and ::1 in every form, and nothing else', () => {
    for (const address of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1', '2130706433', '0x7f.1']) {
      assert.deepEqual(isAddressAllowed(address, DEV), { allowed: true }, address);
    }
    assert.equal(refusal('0.0.0.0', DEV), 'unspecified ("this network") 0.0.0.0/8');
    assert.equal(refusal('::', DEV), 'unspecified ::/128');
    assert.equal(refusal('10.0.0.1', DEV), 'private 10.0.0.0/8');
    assert.equal(refusal('169.254.169.254', DEV), 'cloud instance metadata 169.254.169.254/32');
    assert.equal(
      refusal('::ffff:169.254.169.254', DEV),
      'IPv4-mapped IPv6 form of 169.254.169.254: cloud instance metadata 169.254.169.254/32',
    );
  });

  it('gives one answer for every spelling of an IPv4 address (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4Extended(), fc.boolean(), (canonical, spelled, loopback) => {
        const policy: TargetPolicy = { allowLoopback: loopback, allow: [] };
        const canonicalOfSpelled = new URL(`http://${spelled}/`).hostname;
        assert.deepEqual(isAddressAllowed(spelled, policy), isAddressAllowed(canonicalOfSpelled, policy));
        assert.deepEqual(isAddressAllowed(`::ffff:${canonical}`, policy), isAddressAllowed(canonical, policy).allowed
          ? { allowed: true }
          : { allowed: false, reason: `IPv4-mapped IPv6 form of ${canonical}: ${refusal(canonical, policy) ?? ''}` });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Function: normaliseHostLiteral', () => {
  it('reads every IPv4 literal form and bracketed IPv6 as the address it stands for', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', '127.0.0.1'],
      ['2130706433', '127.0.0.1'],
      ['0177.0.0.1', '127.0.0.1'],
      ['0x7f.0.0.1', '127.0.0.1'],
      ['0x7f000001', '127.0.0.1'],
      ['0X7F000001', '127.0.0.1'],
      ['127.1', '127.0.0.1'],
      ['0x7f.1', '127.0.0.1'],
      ['017700000001', '127.0.0.1'],
      ['127.0.0.1.', '127.0.0.1'],
      ['2852039166', '169.254.169.254'],
      ['0251.0376.0251.0376', '169.254.169.254'],
      ['0xa9fea9fe', '169.254.169.254'],
      ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
      ['169.254.43518', '169.254.169.254'],
      ['0x.0x.0x.0x', '0.0.0.0'],
      ['0', '0.0.0.0'],
      ['4294967295', '255.255.255.255'],
      ['[::ffff:169.254.169.254]', '::ffff:a9fe:a9fe'],
      ['[::ffff:a9fe:a9fe]', '::ffff:a9fe:a9fe'],
      ['[64:ff9b::a9fe:a9fe]', '64:ff9b::a9fe:a9fe'],
      ['[2002:a9fe:a9fe::]', '2002:a9fe:a9fe::'],
      ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
      ['[0:0:0:0:0:ffff:127.0.0.1]', '::ffff:7f00:1'],
      ['[::127.0.0.1]', '::7f00:1'],
      ['[::1]', '::1'],
      ['[::]', '::'],
      ['[FE80::1%25eth0]', 'fe80::1'],
      ['::1', '::1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['[2001:DB8:0:0:1:0:0:1]', '2001:db8::1:0:0:1'],
      ['[2001:db8:0:0:0:0:2:1]', '2001:db8::2:1'],
      ['[1:0:0:2:0:0:0:3]', '1:0:0:2::3'],
    ];
    for (const [host, address] of cases) assert.equal(normaliseHostLiteral(host), address, host);
  });

  it('agrees with the WHATWG URL parser wherever that parser accepts the host', () => {
    const hosts = [
      '2130706433', '0177.0.0.1', '0x7f.0.0.1', '0x7f000001', '127.1', '0x7f.1', '127.0.0.1.', '0x.0x.0x.0x',
      '2852039166', '0251.0376.0251.0376', '0xa9fea9fe', '[::ffff:169.254.169.254]', '[::ffff:127.0.0.1]',
      '[64:ff9b::169.254.169.254]', '[2002:a9fe:a9fe::]', '[::127.0.0.1]', '[1:0:0:2:0:0:0:3]',
    ];
    for (const host of hosts) {
      const parsed = new URL(`http://${host}/`).hostname;
      assert.equal(normaliseHostLiteral(host), parsed.replace(/^\[(.*)\]$/, '$1'), host);
    }
  });

  it('leaves host names, and numbers no parser reads as an address, to name resolution', () => {
    for (const host of ['fn.test', 'localhost', 'LOCALHOST.', '127.0.0.1.nip.io', '0xg', '1.2.3.4.5', '999.1', '08.1.1.1', '4294967296', '[fn.test]', '[::1', '']) {
      assert.equal(normaliseHostLiteral(host), undefined, host);
    }
  });

  it('matches the WHATWG URL parser on generated IPv4 spellings and IPv6 addresses (property)', () => {
    fc.assert(
      fc.property(fc.ipV4Extended(), (host) => {
        assert.equal(normaliseHostLiteral(host), new URL(`http://${host}/`).hostname);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (host) => {
        const parsed = new URL(`http://[${host}]/`).hostname;
        assert.equal(normaliseHostLiteral(`[${host}]`), parsed.slice(1, -1));
        assert.equal(normaliseHostLiteral(host), parsed.slice(1, -1));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads every host that Node connects to without a lookup, so none escapes the literal check (property)', () => {
    // net.connect skips `lookup` exactly when net.isIP(host) is non-zero.
    const hostText = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.stringMatching(/^[0-9a-fA-F:.%]{1,40}$/),
    );
    fc.assert(
      fc.property(hostText, (host) => {
        if (isIP(host) !== 0) assert.notEqual(normaliseHostLiteral(host), undefined, host);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('Function: parseCidrList', () => {
  it('parses comma-separated IPv4 and IPv6 ranges, a bare address being one host', () => {
    const ranges = parseCidrList('127.0.0.1/32,10.0.0.0/8, ::1/128 ,fd00::/8,192.168.1.5');

    assert.deepEqual(ranges.map(String), ['127.0.0.1/32', '10.0.0.0/8', '::1/128', 'fd00::/8', '192.168.1.5/32']);
    assert.deepEqual(ranges.map((range) => range.family), [4, 4, 6, 6, 4]);
  });

  it('clears host bits, and stores IPv4-mapped IPv6 ranges as IPv4', () => {
    assert.equal(String(Cidr.parse('10.1.2.3/8')), '10.0.0.0/8');
    assert.equal(String(Cidr.parse('2001:db8::1/32')), '2001:db8::/32');
    assert.equal(String(Cidr.parse('::ffff:127.0.0.1/128')), '127.0.0.1/32');
    assert.equal(String(Cidr.parse('::ffff:10.0.0.0/104')), '10.0.0.0/8');
    assert.equal(String(Cidr.parse('0.0.0.0/0')), '0.0.0.0/0');
  });

  it('checks membership by address, in any spelling', () => {
    const range = Cidr.parse('127.0.0.1/32');

    assert.equal(range.contains('127.0.0.1'), true);
    assert.equal(range.contains('::ffff:7f00:1'), true);
    assert.equal(range.contains('0x7f.1'), true);
    assert.equal(range.contains('127.0.0.2'), false);
    assert.equal(range.contains('fn.test'), false);
  });

  it('gives no ranges for empty or blank text', () => {
    assert.deepEqual(parseCidrList(''), []);
    assert.deepEqual(parseCidrList('  '), []);
  });

  it('rejects bad input with an error that names the entry and the fix', () => {
    const expectations: Array<[string, string]> = [
      [
        'abc',
        'invalid target range "abc": expected an IPv4 or IPv6 address with an optional prefix length,' +
          ' such as 10.0.0.0/8 or ::1/128 (IPv4 as four decimal numbers)',
      ],
      ['10.0.0.0/33', 'invalid target range "10.0.0.0/33": the prefix length of an IPv4 range is a whole number from 0 to 32'],
      ['::1/129', 'invalid target range "::1/129": the prefix length of an IPv6 range is a whole number from 0 to 128'],
      ['10.0.0.0/', 'invalid target range "10.0.0.0/": the prefix length of an IPv4 range is a whole number from 0 to 32'],
      ['10.0.0.0/08', 'invalid target range "10.0.0.0/08": the prefix length of an IPv4 range is a whole number from 0 to 32'],
      ['10.0.0.0/-1', 'invalid target range "10.0.0.0/-1": the prefix length of an IPv4 range is a whole number from 0 to 32'],
      ['10.0.0.0/8,,::1/128', 'invalid target range "10.0.0.0/8,,::1/128": empty entry in the comma-separated list'],
      ['10.0.0.0/8,', 'invalid target range "10.0.0.0/8,": empty entry in the comma-separated list'],
    ];
    for (const [input, message] of expectations) {
      assert.throws(() => parseCidrList(input), (error: unknown) => {
        assert.ok(error instanceof InvalidCidrError, `expected an InvalidCidrError, got ${String(error)}`);
        assert.equal(error.message, message);
        return true;
      });
    }
    // Ambiguous or non-canonical IPv4 spellings are refused in configuration.
    for (const input of ['0x7f.1/32', '2130706433/32', '010.0.0.1/32', '127.1/32', '1.2.3.4.5/32', '1::2::3/64', '[::1]/128', 'fe80::1%eth0/64']) {
      assert.throws(() => parseCidrList(input), InvalidCidrError, input);
    }
  });
});

describe('Function: targetPolicyFromFlags', () => {
  it('allows loopback with --dev and opens the --allow-targets ranges', () => {
    const strict = targetPolicyFromFlags({ dev: false });
    const dev = targetPolicyFromFlags({ dev: true, allowTargets: '10.0.0.0/8' });

    assert.equal(strict.allowLoopback, false);
    assert.deepEqual(strict.allow, []);
    assert.equal(dev.allowLoopback, true);
    assert.deepEqual(dev.allow.map(String), ['10.0.0.0/8']);
    assert.throws(() => targetPolicyFromFlags({ dev: false, allowTargets: 'nope' }), InvalidCidrError);
  });
});

describe('Function: guardedLookup', () => {
  it('refuses a host name that resolves to 127.0.0.1, in both lookup forms, and says why', async () => {
    const heard: string[][] = [];
    const asked: string[] = [];
    const lookup = guardedLookup(STRICT_TARGET_POLICY, fakeResolver({ 'fn.test': ['127.0.0.1'] }, asked), (...args) =>
      heard.push(args),
    );

    const plain = await runLookup(lookup, 'fn.test', {});
    const all = await runLookup(lookup, 'fn.test', { all: true });

    for (const outcome of [plain, all]) {
      assert.ok(outcome.error instanceof SsrfRefusedError, `expected a refusal, got ${String(outcome.error)}`);
      assert.equal(outcome.error.code, 'ERR_SSRF_REFUSED');
      assert.equal(outcome.error.address, '127.0.0.1');
      assert.equal(outcome.error.hostname, 'fn.test');
      assert.equal(outcome.error.reason, 'loopback 127.0.0.0/8');
      assert.equal(outcome.error.message, 'connection to 127.0.0.1 refused by the SSRF guard (loopback 127.0.0.0/8)');
    }
    assert.deepEqual(asked, ['fn.test', 'fn.test']);
    assert.deepEqual(heard, [
      ['fn.test', '127.0.0.1', 'loopback 127.0.0.0/8'],
      ['fn.test', '127.0.0.1', 'loopback 127.0.0.0/8'],
    ]);
  });

  it('passes allowed answers on unchanged', async () => {
    const lookup = guardedLookup(
      { allowLoopback: false, allow: parseCidrList('127.0.0.1/32') },
      fakeResolver({ 'fn.test': ['127.0.0.1'] }),
    );

    assert.deepEqual(await runLookup(lookup, 'fn.test', {}), { error: null, result: '127.0.0.1', family: 4 });
    assert.deepEqual(await runLookup(lookup, 'fn.test', { all: true }), {
      error: null,
      result: [{ address: '127.0.0.1', family: 4 }],
      family: undefined,
    });
  });

  it('drops refused addresses from an { all: true } answer, and fails only when none is left', async () => {
    const heard: string[] = [];
    const lookup = guardedLookup(
      { allowLoopback: false, allow: parseCidrList('127.0.0.1/32') },
      fakeResolver({
        'mixed.test': ['169.254.169.254', '127.0.0.1', '::ffff:a9fe:a9fe', '::1'],
        'internal.test': ['10.0.0.1', 'fd00:ec2::254'],
      }),
      (hostname) => heard.push(hostname),
    );

    const mixed = await runLookup(lookup, 'mixed.test', { all: true });
    const internal = await runLookup(lookup, 'internal.test', { all: true });

    assert.equal(mixed.error, null);
    assert.deepEqual(mixed.result, [{ address: '127.0.0.1', family: 4 }]);
    assert.ok(internal.error instanceof SsrfRefusedError, `expected a refusal, got ${String(internal.error)}`);
    assert.equal(internal.error.address, '10.0.0.1');
    assert.equal(internal.error.reason, 'private 10.0.0.0/8');
    assert.deepEqual(internal.result, []);
    assert.deepEqual(heard, ['internal.test']);
  });

  it('checks every answer of a resolver whose answer changes (DNS rebinding)', async () => {
    const answers = ['8.8.8.8', '127.0.0.1'];
    const rebinding: LookupFunction = (_hostname, _options, callback) => callback(null, answers.shift() ?? '', 4);
    const lookup = guardedLookup(STRICT_TARGET_POLICY, rebinding);

    const first = await runLookup(lookup, 'rebind.test', {});
    const second = await runLookup(lookup, 'rebind.test', {});

    assert.deepEqual(first, { error: null, result: '8.8.8.8', family: 4 });
    assert.ok(second.error instanceof SsrfRefusedError, `expected a refusal, got ${String(second.error)}`);
    assert.equal(second.error.address, '127.0.0.1');
  });

  it('passes resolver errors through untouched', async () => {
    const lookup = guardedLookup(STRICT_TARGET_POLICY, fakeResolver({}));

    const outcome = await runLookup(lookup, 'missing.test', {});

    assert.ok(outcome.error !== null, 'expected the resolver error');
    assert.equal(outcome.error.code, 'ENOTFOUND');
    assert.ok(!(outcome.error instanceof SsrfRefusedError), 'expected the resolver error, not a refusal');
  });

  it('lets net.connect reach a loopback server when 127.0.0.1/32 is allowed, and not otherwise', async () => {
    const recorder = await startRecorder();
    const resolver = fakeResolver({ 'fn.test': ['127.0.0.1'] });
    const tryConnect = (policy: TargetPolicy): Promise<Error | undefined> =>
      new Promise((resolve) => {
        const socket = connect({ host: 'fn.test', port: recorder.port, lookup: guardedLookup(policy, resolver) });
        socket.on('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.on('error', resolve);
      });
    try {
      const refused = await tryConnect(STRICT_TARGET_POLICY);
      await new Promise((resolve) => setTimeout(resolve, 50));

      assert.ok(refused instanceof SsrfRefusedError, `expected a refusal, got ${String(refused)}`);
      assert.equal(recorder.connections, 0);

      const allowed = await tryConnect({ allowLoopback: false, allow: parseCidrList('127.0.0.1/32') });
      await new Promise((resolve) => setTimeout(resolve, 50));

      assert.equal(allowed, undefined);
      assert.equal(recorder.connections, 1);
    } finally {
      await recorder.close();
    }
  });
});

describe('Class: HttpInvoker', () => {
  describe('Option: targetPolicy', () => {
    let target: Sink;
    const resolver = fakeResolver({ 'fn.test': ['127.0.0.1'], 'two.test': ['127.0.0.2', '127.0.0.1'] });

    before(async () => {
      target = await startRecorder();
    });

    afterEach(() => {
      target.reset();
      target.respond = answerOk;
    });

    after(async () => {
      await target.close();
    });

    function loopbackUrls(port: number): Array<[string, string, string]> {
      // [url, address refused, the reason]
      const loopback = 'loopback 127.0.0.0/8';
      const mapped = 'IPv4-mapped IPv6 form of 127.0.0.1: loopback 127.0.0.0/8';
      return [
        [`http://127.0.0.1:${port}/`, '127.0.0.1', loopback],
        [`http://2130706433:${port}/`, '127.0.0.1', loopback],
        [`http://0x7f.1:${port}/`, '127.0.0.1', loopback],
        [`http://0177.0.0.1:${port}/`, '127.0.0.1', loopback],
        [`http://[::ffff:127.0.0.1]:${port}/`, '::ffff:7f00:1', mapped],
        [`http://fn.test:${port}/hook?x=1`, '127.0.0.1', loopback],
        [`http://localhost:${port}/`, '', ''], // real dns.lookup of localhost: 127.0.0.1 or ::1
      ];
    }

    it('without --dev, refuses every loopback form before any connection, like an unreachable function', async () => {
      const heard: string[][] = [];
      const guarded = new HttpInvoker({
        targetPolicy: STRICT_TARGET_POLICY,
        lookup: (hostname, options, callback) =>
          // Real resolution for localhost only (docs/architecture.md#testing-without-aws: tests resolve no other name).
          hostname === 'localhost' ? dnsLookup(hostname, options, callback) : resolver(hostname, options, callback),
        onRefused: (...args) => heard.push(args),
      });
      try {
        for (const [url, address, reason] of loopbackUrls(target.port)) {
          const error = await invocationError(guarded.invoke(httpFunction(url), { payload: '{}', timeoutMs: 5000 }));

          assert.equal(error.kind, 'call-failed', url);
          if (address === '') {
            assert.match(error.detail, /^dial tcp (127\.0\.0\.1|\[::1\]):\d+: connection refused by the SSRF guard \(loopback /);
            continue;
          }
          const host = address.includes(':') ? `[${address}]` : address;
          assert.equal(error.detail, `dial tcp ${host}:${target.port}: connection refused by the SSRF guard (${reason})`);
          assert.equal(error.message, `Function call failed. Error: ${error.detail}`);
        }
        assert.equal(target.connections, 0);
        assert.deepEqual(requestLines(target), []);
        assert.deepEqual(heard.slice(0, 6), [
          [`http://127.0.0.1:${target.port}/`, '127.0.0.1', 'loopback 127.0.0.0/8'],
          [`http://127.0.0.1:${target.port}/`, '127.0.0.1', 'loopback 127.0.0.0/8'],
          [`http://127.0.0.1:${target.port}/`, '127.0.0.1', 'loopback 127.0.0.0/8'],
          [`http://127.0.0.1:${target.port}/`, '127.0.0.1', 'loopback 127.0.0.0/8'],
          [`http://[::ffff:7f00:1]:${target.port}/`, '::ffff:7f00:1', 'IPv4-mapped IPv6 form of 127.0.0.1: loopback 127.0.0.0/8'],
          [`http://fn.test:${target.port}/hook?x=1`, '127.0.0.1', 'loopback 127.0.0.0/8'],
        ]);
        assert.equal(heard.length, 7);
      } finally {
        await guarded.close();
      }
    });

    it('is what stops those calls: without a policy the same URLs reach the recording server', async () => {
      const unguarded = new HttpInvoker({ lookup: resolver });
      try {
        const urls = loopbackUrls(target.port).filter(([url]) => !url.includes('localhost'));
        for (const [url] of urls) {
          const result = await unguarded.invoke(httpFunction(url), { payload: '{}', timeoutMs: 5000 });
          assert.equal(result.status, 200, url);
        }
        assert.equal(requestLines(target).length, urls.length);
        assert.ok(target.connections >= 1, `connections: ${target.connections}`);
      } finally {
        await unguarded.close();
      }
    });

    it('refuses an https URL whose name resolves to loopback, with the default port in the text', async () => {
      const guarded = new HttpInvoker({ targetPolicy: STRICT_TARGET_POLICY, lookup: resolver });
      try {
        const error = await invocationError(guarded.invoke(httpFunction('https://fn.test/'), { payload: '{}' }));

        assert.equal(error.kind, 'call-failed');
        assert.equal(error.detail, 'dial tcp 127.0.0.1:443: connection refused by the SSRF guard (loopback 127.0.0.0/8)');
      } finally {
        await guarded.close();
      }
    });

    it('reaches a loopback function by name and by address when --allow-targets opens 127.0.0.1/32, and only it', async () => {
      const heard: string[][] = [];
      const allowing = new HttpInvoker({
        targetPolicy: { allowLoopback: false, allow: parseCidrList('127.0.0.1/32') },
        lookup: resolver,
        onRefused: (...args) => heard.push(args),
      });
      try {
        const byName = await allowing.invoke(httpFunction(`http://fn.test:${target.port}/a`), { payload: '{}' });
        const byAddress = await allowing.invoke(httpFunction(`http://127.0.0.1:${target.port}/b`), { payload: '{}' });
        const twoAnswers = await allowing.invoke(httpFunction(`http://two.test:${target.port}/c`), { payload: '{}' });
        const other = await invocationError(
          allowing.invoke(httpFunction(`http://127.0.0.2:${target.port}/d`), { payload: '{}' }),
        );

        assert.equal(byName.status, 200);
        assert.equal(byAddress.status, 200);
        assert.equal(twoAnswers.status, 200);
        assert.deepEqual(requestLines(target), ['POST /a', 'POST /b', 'POST /c']);
        assert.equal(other.detail, `dial tcp 127.0.0.2:${target.port}: connection refused by the SSRF guard (loopback 127.0.0.0/8)`);
        assert.deepEqual(heard, [[`http://127.0.0.2:${target.port}/d`, '127.0.0.2', 'loopback 127.0.0.0/8']]);
      } finally {
        await allowing.close();
      }
    });

    it('reaches loopback in every form with allowLoopback (--dev)', async () => {
      const dev = new HttpInvoker({ targetPolicy: DEV, lookup: resolver });
      try {
        for (const url of [`http://127.0.0.1:${target.port}/`, `http://0x7f.1:${target.port}/`, `http://fn.test:${target.port}/`]) {
          const result = await dev.invoke(httpFunction(url), { payload: '{}' });
          assert.equal(result.status, 200, url);
        }
        assert.equal(requestLines(target).length, 3);
      } finally {
        await dev.close();
      }
    });

    it('does not follow a redirect to another loopback port, which is never contacted', async () => {
      const elsewhere = await startRecorder();
      const allowing = new HttpInvoker({
        targetPolicy: { allowLoopback: false, allow: parseCidrList('127.0.0.1/32') },
      });
      target.respond = (_req, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/internal` });
        res.end();
      };
      try {
        const result = await allowing.invoke(httpFunction(`http://127.0.0.1:${target.port}/hook`), { payload: '{}' });
        await new Promise((resolve) => setTimeout(resolve, 100));

        assert.equal(result.status, 302);
        assert.deepEqual(requestLines(target), ['POST /hook']);
        assert.equal(elsewhere.connections, 0);
        assert.deepEqual(requestLines(elsewhere), []);
      } finally {
        await allowing.close();
        await elsewhere.close();
      }
    });
  });
});

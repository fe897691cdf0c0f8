// Content filters: the cost of matching one event against the filters of N async subscriptions on one route, as the
// router does for every routed event (each matching async subscription's compiled filter is applied in turn).
// Run: node --import tsx bench/filter-match.ts [--sizes 1,10,100] [--events 200000] [--json]
// The filters cycle through every operator; the events are seeded, 1.0 structured, ~600 bytes of JSON each.
import { parseArgs } from 'node:util';
import type { JsonObject } from '../lib/core/cloudevents/model.js';
import { CompiledFilter } from '../lib/core/filter/index.js';
import { random } from './random.js';

export interface FilterMatchResult {
  subscriptions: number;
  /**
   * Median over the batches of the process's CPU time (user + system) per event, all N filters applied to it. CPU
   * time, not wall time, so that other processes on a shared machine inflate the figure less.
   */
  nsPerEvent: number;
  /** The same in wall-clock time. */
  nsPerEventWall: number;
  /** nsPerEvent / N. */
  nsPerFilter: number;
  /** Share of (event, filter) pairs that matched: the filters are neither all-pass nor all-fail. */
  matchedShare: number;
  /** Compiling the N patterns (done once, when the routing table is built). */
  compileUs: number;
}


const STATES = ['created', 'paid', 'shipped', 'cancelled', 'refunded'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-south-1'];

/** Filter i: one of eight shapes (every operator), with parameters that vary with i. */
function pattern(i: number): JsonObject {
  const state = STATES[i % STATES.length]!;
  const region = REGIONS[i % REGIONS.length]!;
  switch (i % 8) {
    case 0:
      return { type: ['order.updated'], data: { state: [state] } };
    case 1:
      return { data: { amount: [{ numeric: ['>', (i % 10) * 50, '<=', 1000] }], currency: ['EUR', 'USD'] } };
    case 2:
      return { data: { region: [{ prefix: region.slice(0, 3) }], state: [{ 'anything-but': [state, 'cancelled'] }] } };
    case 3:
      return { data: { customer: { email: [{ suffix: i % 2 ? '@example.com' : '@example.org' }], tier: [{ 'equals-ignore-case': 'GOLD' }] } } };
    case 4:
      return { subject: [{ wildcard: `orders/*/${state}` }] };
    case 5:
      return { data: { client: { ip: [{ cidr: `10.${i % 4}.0.0/16` }] }, coupon: [{ exists: false }] } };
    case 6:
      return { $or: [{ data: { amount: [{ numeric: ['>=', 900] }] } }, { data: { customer: { tier: ['gold', 'platinum'] } } }] };
    default:
      return { data: { items: { sku: [{ prefix: `SKU-${i % 3}` }], qty: [{ numeric: ['>', 1] }] } } };
  }
}

function event(i: number, next: () => number): JsonObject {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const state = pick(STATES);
  return {
    specversion: '1.0',
    id: `evt-${i}`,
    source: 'https://shop.example.com/orders',
    type: 'order.updated',
    subject: `orders/${Math.floor(next() * 1e6)}/${state}`,
    time: '2026-12-04T16:20:00Z',
    datacontenttype: 'application/json',
    data: {
      orderId: `o-${i}`,
      state,
      amount: Math.round(next() * 120000) / 100,
      currency: pick(['EUR', 'USD', 'GBP']),
      region: pick(REGIONS),
      customer: { id: `c-${Math.floor(next() * 1e4)}`, email: `user${i}@${pick(['example.com', 'example.org', 'example.net'])}`, tier: pick(['gold', 'Gold', 'silver', 'platinum']) },
      client: { ip: `10.${Math.floor(next() * 6)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}`, agent: 'bench/1.0' },
      ...(next() < 0.3 ? { coupon: 'WINTER' } : {}),
      items: Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({ sku: `SKU-${Math.floor(next() * 5)}-${Math.floor(next() * 100)}`, qty: 1 + Math.floor(next() * 3) })),
    },
  };
}

export function measure(count: number, events: number, batches = 7): FilterMatchResult {
  const started = process.hrtime.bigint();
  const filters = Array.from({ length: count }, (_, i) => {
    const compiled = CompiledFilter.compile(pattern(i));
    if (!compiled.ok) throw new Error(compiled.error.message);
    return compiled.filter;
  });
  const compileUs = Number(process.hrtime.bigint() - started) / 1000;
  const next = random(0xf17e5);
  const sample = Array.from({ length: 1024 }, (_, i) => event(i, next));

  let matched = 0;
  for (const e of sample) for (const f of filters) if (f.matches(e)) matched++;

  const perBatch = Math.max(sample.length, Math.floor(events / batches));
  const run = (n: number): number => {
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const e = sample[i & 1023]!;
      for (let j = 0; j < filters.length; j++) if (filters[j]!.matches(e)) hits++;
    }
    return hits;
  };
  run(Math.min(perBatch, 50_000)); // warm-up, so that the JIT has optimised the matchers before timing
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let b = 0; b < batches; b++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    run(perBatch);
    wall.push(Number(process.hrtime.bigint() - t0) / perBatch);
    const c = process.cpuUsage(c0);
    cpu.push(((c.user + c.system) * 1000) / perBatch);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const nsPerEvent = median(cpu);
  return {
    subscriptions: count,
    nsPerEvent,
    nsPerEventWall: median(wall),
    nsPerFilter: nsPerEvent / count,
    matchedShare: matched / (sample.length * count),
    compileUs,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1,10,100' },
      events: { type: 'string', default: '200000' },
      json: { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const events = Number(values.events);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(events) || events < 1) {
    console.error('filter-match: --sizes takes whole numbers of at least 1, --events a whole number');
    process.exit(1);
  }
  const results = sizes.map((n) => measure(n, events));
  if (values.json) {
    console.log(JSON.stringify({ eventsPerSize: events, results }));
    return;
  }
  for (const r of results) {
    console.log(
      `${String(r.subscriptions).padStart(4)} filtered subscriptions: ${r.nsPerEvent.toFixed(0)} ns/event of CPU (${r.nsPerEventWall.toFixed(0)} wall), ${r.nsPerFilter.toFixed(0)} ns/filter ` +
        `(${(r.matchedShare * 100).toFixed(0)}% of pairs matched; compiled in ${r.compileUs.toFixed(0)} µs)`,
    );
  }
}

main();

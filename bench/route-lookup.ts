// Scenario (d): the cost of one sync route lookup (RoutingTable.matchSync) among N sync subscriptions.
// Run: node --import tsx bench/route-lookup.ts [--sizes 10,1000,100000] [--lookups 2000000] [--json]
// Paths are random but seeded, so every run measures the same tables. Prints a table, or one JSON line with --json.
import { parseArgs } from 'node:util';
import type { Subscription } from '../lib/core/model/types.js';
import { PathTree } from '../lib/core/pathtree/index.js';
import { RoutingTable } from '../lib/core/routing/index.js';
import { random } from './random.js';

export interface LookupResult {
  subscriptions: number;
  /** Median over the batches, request paths spread uniformly over all the routes. */
  nsPerLookup: number;
  /** The same, with the requests hitting only 16 of the routes (a working set that fits in the CPU caches). */
  nsPerLookupHot: number;
  /** Request paths that matched (all of them should). */
  matched: number;
  buildMs: number;
}


/**
 * N route patterns of 2 to 4 segments: a static first segment, then static words or `:p<depth>` parameters. A
 * candidate that would conflict with an earlier one (docs/compatibility.md#path-conflicts) is skipped, so all N are live routes.
 */
function routePatterns(count: number, next: () => number): string[] {
  const firstSegments = Math.max(4, Math.ceil(count / 20));
  const guard = new PathTree<true>();
  const patterns: string[] = [];
  while (patterns.length < count) {
    const depth = 2 + (patterns.length % 3);
    const segments = [`svc${Math.floor(next() * firstSegments)}`];
    for (let d = 1; d < depth; d++) segments.push(next() < 0.3 ? `:p${d}` : `w${Math.floor(next() * 40)}`);
    const path = `/${segments.join('/')}`;
    try {
      guard.insert(path, true);
    } catch {
      continue;
    }
    patterns.push(path);
  }
  return patterns;
}

/** A concrete request path for a pattern: each parameter gets a value. */
function requestPath(pattern: string, next: () => number): string {
  return pattern.replace(/:p\d+/g, () => `v${Math.floor(next() * 1e6)}`);
}

function subscription(index: number, path: string): Subscription {
  return { space: 'default', subscriptionId: `s${index}`, type: 'sync', eventType: 'http.request', functionId: 'bench', path, method: 'GET' };
}

export function measure(count: number, lookups: number, batches = 7): LookupResult {
  const next = random(0x5eed + count);
  const patterns = routePatterns(count, next);
  const started = performance.now();
  const table = new RoutingTable({ eventtype: [], function: [], cors: [], subscription: patterns.map((p, i) => subscription(i, p)) });
  const buildMs = performance.now() - started;

  // The same number of request paths at every size (a power of two, for the index mask), drawn from the routes.
  const paths = Array.from({ length: 4096 }, () => requestPath(patterns[Math.floor(next() * patterns.length)]!, next));
  const hotPaths = Array.from({ length: 4096 }, (_, i) => paths[i % 16]!);
  let matched = 0;
  for (const path of paths) if (table.matchSync('GET', path, 'http.request')) matched++;

  const perBatch = Math.max(paths.length, Math.floor(lookups / batches));
  const run = (requests: readonly string[], n: number): number => {
    let hits = 0;
    for (let i = 0; i < n; i++) if (table.matchSync('GET', requests[i & 4095]!, 'http.request') !== undefined) hits++;
    return hits;
  };
  const median = (requests: readonly string[]): number => {
    run(requests, Math.min(perBatch, 200_000)); // warm-up, so the JIT has optimised the lookup before timing
    const samples: number[] = [];
    for (let b = 0; b < batches; b++) {
      const t0 = process.hrtime.bigint();
      if (run(requests, perBatch) === 0) throw new Error('no lookup matched');
      samples.push(Number(process.hrtime.bigint() - t0) / perBatch);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)]!;
  };
  return { subscriptions: count, nsPerLookup: median(paths), nsPerLookupHot: median(hotPaths), matched, buildMs };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10,1000,100000' },
      lookups: { type: 'string', default: '2000000' },
      json: { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const lookups = Number(values.lookups);
  const results = sizes.map((n) => measure(n, lookups));
  const first = results[0]!;
  const last = results[results.length - 1]!;
  const ratio = last.nsPerLookup / first.nsPerLookup;
  const ratioHot = last.nsPerLookupHot / first.nsPerLookupHot;
  if (values.json) {
    console.log(JSON.stringify({ lookupsPerSize: lookups, results, ratio, ratioHot }));
    return;
  }
  for (const r of results) {
    console.log(
      `${String(r.subscriptions).padStart(7)} subscriptions: ${r.nsPerLookup.toFixed(1)} ns/lookup spread, ` +
        `${r.nsPerLookupHot.toFixed(1)} ns/lookup on 16 hot routes (${r.matched}/4096 paths matched, built in ${r.buildMs.toFixed(0)} ms)`,
    );
  }
  console.log(`ratio ${last.subscriptions}/${first.subscriptions}: ${ratio.toFixed(2)}× spread, ${ratioHot.toFixed(2)}× hot`);
}

main();

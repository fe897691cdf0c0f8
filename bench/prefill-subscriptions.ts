// Adds subscriptions to the data dir of a stopped gateway, all to the `bench` function that the bench registered.
//
//   node --import tsx bench/prefill-subscriptions.ts <dataDir> <n>
//     The RSS mix: half sync (GET /load/s<i>, http.request), half async (POST /load/a<i>, bench.event).
//   node --import tsx bench/prefill-subscriptions.ts --routes <pathsFile> <dataDir> <n> [<dataDir> <n> ...]
//     Scenario (d): the first n routes of one fixed sequence (see `route`) as sync GET http.request
//     subscriptions in each data dir, and one concrete request path per route of the largest n, one a line, in
//     <pathsFile> (what bench/lookup-paths.lua requests). Prints one JSON line: {routesMs, prefillMs: {<dataDir>: ms}}.
//
// Each body goes through parseSubscription, as a config API request would (same validation, same ids), and then
// straight into the registry, which is quicker than thousands of calls to the config API of a running gateway. All
// of a data dir's creates run in one SQLite transaction (each create nests as a savepoint), so 100,000 of them take
// seconds rather than one commit each.
import { writeFileSync } from 'node:fs';
import { SqliteRegistry } from '../lib/adapters/registry/sqlite/index.js';
import { openDatabase } from '../lib/adapters/sqlite/index.js';
import { parseSubscription } from '../lib/core/model/index.js';
import { PathTree } from '../lib/core/pathtree/index.js';

type Body = Record<string, string>;

interface Route {
  pattern: string;
  /** A request path that the pattern matches: `:id` gets a value. */
  request: string;
}

/** Routes per service, the first segment that they share. */
const ROUTES_PER_SERVICE = 20;

/**
 * Route i of scenario (d): a sync pattern of 2 to 4 segments under the service `svc<i / 20>`, half of them all
 * static and half with an `:id` segment, as an API's routes are:
 *
 *     /svc3/r0          /svc3/r1/:id          /svc3/r2/all
 *     /svc3/r3/:id/items   /svc3/r4/all/recent   /svc3/r5/:id      …
 *
 * The second segment is unique to the route, so no two routes conflict (docs/compatibility.md#path-conflicts) and the routes of a smaller
 * table are the first ones of a bigger one. The caller still checks each against a path tree.
 */
function route(i: number): Route {
  const prefix = `/svc${Math.floor(i / ROUTES_PER_SERVICE)}/r${i % ROUTES_PER_SERVICE}`;
  const pattern = `${prefix}${['', '/:id', '/all', '/:id/items', '/all/recent', '/:id'][i % 6]}`;
  return { pattern, request: pattern.replace(':id', `v${i}`) };
}

async function prefill(dataDir: string, bodies: Iterable<Body>, requires: ReadonlyArray<readonly ['function' | 'eventtype', string]>): Promise<void> {
  const db = openDatabase({ dataDir });
  const registry = new SqliteRegistry(db);
  try {
    for (const [kind, id] of requires) {
      if (!(await registry.get(kind, 'default', id))) throw new Error(`${kind} ${id} is not registered in ${dataDir}`);
    }
    // create() writes synchronously before it returns its promise, so every write lands inside this transaction.
    const created: Array<Promise<void>> = [];
    db.transaction(() => {
      for (const body of bodies) created.push(registry.create('subscription', parseSubscription(JSON.stringify(body), { space: 'default' })));
    })();
    await Promise.all(created);
  } finally {
    await registry.close();
    db.close();
  }
}

function usage(): never {
  console.error(
    'usage: node --import tsx bench/prefill-subscriptions.ts <dataDir> <n>\n' +
      '       node --import tsx bench/prefill-subscriptions.ts --routes <pathsFile> <dataDir> <n> [<dataDir> <n> ...]',
  );
  process.exit(2);
}

const count = (text: string | undefined): number => {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : usage();
};

const args = process.argv.slice(2);
if (args[0] === '--routes') {
  const [, pathsFile, ...pairs] = args;
  if (!pathsFile || pairs.length === 0 || pairs.length % 2 !== 0) usage();
  const targets = Array.from({ length: pairs.length / 2 }, (_, i) => ({ dataDir: pairs[2 * i]!, n: count(pairs[2 * i + 1]) }));
  let started = performance.now();
  const routes = Array.from({ length: Math.max(...targets.map((t) => t.n)) }, (_, i) => route(i));
  const guard = new PathTree<true>();
  guard.insert('/hello', true); // the bench's own sync route
  for (const { pattern } of routes) guard.insert(pattern, true); // throws on a conflict: route() would be wrong
  writeFileSync(pathsFile, `${routes.map((r) => r.request).join('\n')}\n`);
  const routesMs = performance.now() - started;
  const prefillMs: Record<string, number> = {};
  for (const { dataDir, n } of targets) {
    started = performance.now();
    const bodies = routes.slice(0, n).map((r): Body => ({ type: 'sync', eventType: 'http.request', functionId: 'bench', method: 'GET', path: r.pattern }));
    await prefill(dataDir, bodies, [['function', 'bench'], ['eventtype', 'http.request']]);
    prefillMs[dataDir] = performance.now() - started;
  }
  console.log(JSON.stringify({ routesMs, prefillMs }));
} else {
  const [dataDir, n] = [args[0] ?? usage(), count(args[1])];
  const bodies = Array.from({ length: n }, (_, i): Body => i % 2 === 0
    ? { type: 'sync', eventType: 'http.request', functionId: 'bench', method: 'GET', path: `/load/s${i}` }
    : { type: 'async', eventType: 'bench.event', functionId: 'bench', path: `/load/a${i}` });
  await prefill(dataDir, bodies, [['function', 'bench'], ['eventtype', 'http.request'], ['eventtype', 'bench.event']]);
}

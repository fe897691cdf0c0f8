// Adds N subscriptions to the data dir of a stopped gateway, for the RSS figure: half sync (GET /load/s<i>,
// http.request), half async (POST /load/a<i>, bench.event), all to the `bench` function that the bench registered.
// Run: node --import tsx bench/prefill-subscriptions.ts <dataDir> <n>
//
// Each body goes through parseSubscription, as a config API request would (same validation, same ids), and then
// straight into the registry, which is quicker than 10,000 calls to the config API of a running gateway.
import { SqliteRegistry } from '../lib/adapters/registry/sqlite/index.js';
import { openDatabase } from '../lib/adapters/sqlite/index.js';
import { parseSubscription } from '../lib/core/model/index.js';

const [dataDir, count] = process.argv.slice(2);
const n = Number(count);
if (!dataDir || !Number.isInteger(n) || n < 1) {
  console.error('usage: node --import tsx bench/prefill-subscriptions.ts <dataDir> <n>');
  process.exit(2);
}

const db = openDatabase({ dataDir });
const registry = new SqliteRegistry(db);
try {
  for (const required of [['function', 'bench'], ['eventtype', 'http.request'], ['eventtype', 'bench.event']] as const) {
    if (!(await registry.get(required[0], 'default', required[1]))) throw new Error(`${required[0]} ${required[1]} is not registered in ${dataDir}`);
  }
  for (let i = 0; i < n; i++) {
    const body = i % 2 === 0
      ? { type: 'sync', eventType: 'http.request', functionId: 'bench', method: 'GET', path: `/load/s${i}` }
      : { type: 'async', eventType: 'bench.event', functionId: 'bench', path: `/load/a${i}` };
    await registry.create('subscription', parseSubscription(JSON.stringify(body), { space: 'default' }));
  }
} finally {
  await registry.close();
  db.close();
}

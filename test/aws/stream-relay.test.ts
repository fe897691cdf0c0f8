// The gateway's own Stream relay and the registry's read-your-writes, on DynamoDB Local (with Streams).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoRegistry, StreamRelay, registryTableNames } from '../../lib/adapters/registry/dynamodb/index.js';
import { readCounter, readEntries } from '../../lib/adapters/registry/dynamodb/change-log.js';
import type { ItemByKind } from '../../lib/core/model/types.js';
import type { RegistryChange } from '../../lib/ports/registry.js';
import { awsClientConfig, requireEnv, startStreamRelay } from './helpers.js';

const endpoint = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const client = new DynamoDBClient(awsClientConfig(endpoint));
after(() => client.destroy());

const eventType = (name: string, note = 'v1'): ItemByKind['eventtype'] => ({ space: 'default', name, metadata: { note } });

async function freshTables(): Promise<{ tablePrefix: string; drop(): Promise<void> }> {
  const tablePrefix = `relay-${randomUUID().slice(0, 8)}-`;
  await new DynamoRegistry({ client, tablePrefix }).ensureTables();
  return {
    tablePrefix,
    async drop() {
      await Promise.all(Object.values(registryTableNames(tablePrefix)).map((TableName) => client.send(new DeleteTableCommand({ TableName }))));
    },
  };
}

async function waitForCounter(tablePrefix: string, atLeast: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const latest = await readCounter(client, registryTableNames(tablePrefix).changes);
    if (latest >= atLeast) return latest;
    if (Date.now() > deadline) assert.fail(`the change log reached ${latest}, expected ${atLeast}`);
    await sleep(20);
  }
}

describe('StreamRelay and read-your-writes [dynamodb]', () => {
  it('[dynamodb] one relay holds the lease; the other takes over when it stops and no change is lost or logged twice', async () => {
    const tables = await freshTables();
    const first = await startStreamRelay(endpoint, tables.tablePrefix, 3000);
    const streams = new DynamoDBStreamsClient(awsClientConfig(endpoint));
    const standbyRelay = new StreamRelay({ client, streams, tablePrefix: tables.tablePrefix, leaseMs: 3000, idleMs: 20 }).start();
    const standby = { relay: standbyRelay, async stop() { await standbyRelay.stop(); streams.destroy(); } };
    const writer = new DynamoRegistry({ client, tablePrefix: tables.tablePrefix });
    try {
      for (const name of ['a', 'b', 'c']) await writer.create('eventtype', eventType(name));
      await waitForCounter(tables.tablePrefix, 3);
      assert.equal(first.relay.holding, true);
      assert.equal(standby.relay.holding, false);

      await first.stop();
      // Written while the lease changes hands.
      for (const name of ['d', 'e']) await writer.create('eventtype', eventType(name));
      await writer.delete('eventtype', 'default', 'a');
      await waitForCounter(tables.tablePrefix, 6);
      assert.equal(standby.relay.holding, true);
      await sleep(500);
      const entries = await readEntries(client, registryTableNames(tables.tablePrefix).changes, 1, 100);
      assert.deepEqual(
        entries.map((entry) => `${entry.version}:${entry.id}${entry.deleted ? '-' : '+'}`),
        ['1:a+', '2:b+', '3:c+', '4:d+', '5:e+', '6:a-'],
      );
    } finally {
      await standby.stop();
      await writer.close();
      await tables.drop();
    }
  });

  it('[dynamodb] ownWritesAtOnce: an own write reaches the listeners when it resolves, before any relay logs it', async () => {
    const tables = await freshTables();
    const registry = new DynamoRegistry({ client, tablePrefix: tables.tablePrefix, ownWritesAtOnce: true, pollIntervalMs: 50 });
    const other = new DynamoRegistry({ client, tablePrefix: tables.tablePrefix, pollIntervalMs: 50 });
    const seen: RegistryChange[] = [];
    const seenByOther: RegistryChange[] = [];
    registry.onChange((change) => seen.push(change));
    other.onChange((change) => seenByOther.push(change));
    await registry.snapshot();
    let relay: Awaited<ReturnType<typeof startStreamRelay>> | undefined;
    try {
      // No relay runs: only read-your-writes can deliver these.
      await registry.create('eventtype', eventType('x'));
      assert.deepEqual(seen.map((c) => [c.id, c.item]), [['x', eventType('x')]]);
      await registry.put('eventtype', eventType('x', 'v2'));
      await registry.delete('eventtype', 'default', 'x');
      assert.deepEqual(seen.map((c) => [c.id, c.item?.metadata]), [['x', { note: 'v1' }], ['x', { note: 'v2' }], ['x', undefined]]);
      assert.ok(seen.every((c, i) => i === 0 || c.version > seen[i - 1]!.version), `versions: ${seen.map((c) => c.version).join(', ')}`);
      assert.ok(seen.every((c) => c.version < 1), 'no log version is claimed before the log has it');
      await sleep(300);
      assert.equal(seenByOther.length, 0, 'the other instance learns only through the log');

      // The relay then logs all three: the older two are held back (they would undo the delete for a moment),
      // and the delete comes once more, now with its log version.
      relay = await startStreamRelay(endpoint, tables.tablePrefix);
      await waitForCounter(tables.tablePrefix, 3);
      const deadline = Date.now() + 5000;
      while (seenByOther.length < 3 || seen.length < 4) {
        if (Date.now() > deadline) assert.fail(`own: ${JSON.stringify(seen)}, other: ${JSON.stringify(seenByOther)}`);
        await sleep(20);
      }
      await sleep(200);
      assert.deepEqual(seen.slice(3).map((c) => [c.id, c.item, c.version]), [['x', undefined, 3]]);
      assert.deepEqual(seenByOther.map((c) => [c.item?.metadata, c.version]), [[{ note: 'v1' }, 1], [{ note: 'v2' }, 2], [undefined, 3]]);
    } finally {
      await relay?.stop();
      await registry.close();
      await other.close();
      await tables.drop();
    }
  });
});

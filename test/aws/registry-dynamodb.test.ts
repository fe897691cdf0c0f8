import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  applyStreamRecords,
  DynamoRegistry,
  ReferenceMissingError,
  registryTableNames,
  type DynamoDBStreamRecordLike,
  type DynamoRegistryOptions,
} from '../../lib/adapters/registry/dynamodb/index.js';
import { ensureDeadLetterTable } from '../../lib/adapters/dead-letters/dynamodb/index.js';
import { resyncVersions } from '../../lib/adapters/registry/dynamodb/change-feed.js';
import { readCounter, readEntries } from '../../lib/adapters/registry/dynamodb/change-log.js';
import type { ItemByKind } from '../../lib/core/model/types.js';
import { LiveRoutingTable } from '../../lib/dispatch/index.js';
import { ItemExistsError, type RegistryChange } from '../../lib/ports/registry.js';
import { runRegistryContract } from '../contracts/registry.contract.js';
import { awsClientConfig, requireEnv, startStreamRelay } from './helpers.js';

const endpoint = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const client = new DynamoDBClient(awsClientConfig(endpoint));
after(() => client.destroy());

/** The contract's throwing listeners are expected: keep them out of the test output. */
const ignoreListenerErrors = () => undefined;

/** A fresh set of tables: DynamoDB Local is shared with the other test files. */
async function freshTables(): Promise<{ tablePrefix: string; drop(): Promise<void> }> {
  const tablePrefix = `eg-test-${randomUUID().slice(0, 8)}-`;
  await new DynamoRegistry({ client, tablePrefix }).ensureTables();
  return {
    tablePrefix,
    async drop() {
      const names = registryTableNames(tablePrefix);
      await Promise.all(
        Object.values(names).map((TableName) => client.send(new DeleteTableCommand({ TableName }))),
      );
    },
  };
}

/** Fresh tables with the Stream feeding the change log, and a way to open registries on them. */
async function environment() {
  const tables = await freshTables();
  const poller = await startStreamRelay(endpoint, tables.tablePrefix);
  const registries: DynamoRegistry[] = [];
  let pollerStopped = false;
  return {
    tablePrefix: tables.tablePrefix,
    open(options: Partial<DynamoRegistryOptions> = {}): DynamoRegistry {
      const registry = new DynamoRegistry({ client, tablePrefix: tables.tablePrefix, ...options });
      registries.push(registry);
      return registry;
    },
    async stopStreamPoller() {
      pollerStopped = true;
      await poller.stop();
    },
    async cleanup() {
      await Promise.all(registries.map((registry) => registry.close()));
      if (!pollerStopped) await poller.stop();
      await tables.drop();
    },
  };
}

runRegistryContract('dynamodb', async () => {
  const env = await environment();
  return { registry: env.open({ pollIntervalMs: 50, onListenerError: ignoreListenerErrors }), cleanup: env.cleanup };
});

const eventType = (name: string, note = 'v1'): ItemByKind['eventtype'] => ({
  space: 'default',
  name,
  metadata: { note },
});
const fn = (functionId: string): ItemByKind['function'] => ({
  space: 'default',
  functionId,
  type: 'http',
  provider: { url: `http://127.0.0.1:9/${functionId}` },
});
const subscription = (subscriptionId: string, functionId: string): ItemByKind['subscription'] => ({
  space: 'default',
  subscriptionId,
  type: 'async',
  eventType: 'user.created',
  functionId,
  path: '/',
  method: 'POST',
});

/** Collects the changes one listener receives, with the time each arrived. */
function record(registry: DynamoRegistry) {
  const changes: { change: RegistryChange; at: number }[] = [];
  const unsubscribe = registry.onChange((change) => changes.push({ change, at: performance.now() }));
  return {
    changes,
    unsubscribe,
    async waitFor(count: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (changes.length < count) {
        if (Date.now() > deadline) assert.fail(`expected ${count} changes, got ${JSON.stringify(changes)}`);
        await sleep(5);
      }
      return changes.slice(0, count).map((entry) => entry.change);
    },
  };
}

describe('DynamoRegistry [dynamodb]', () => {
  it('[dynamodb] ensureTables creates the three tables once, the Stream only on the registry table', async () => {
    const tables = await freshTables();
    try {
      await new DynamoRegistry({ client, tablePrefix: tables.tablePrefix }).ensureTables();
      const names = registryTableNames(tables.tablePrefix);
      const describe = async (TableName: string) => (await client.send(new DescribeTableCommand({ TableName }))).Table!;
      const [registry, changes, deadLetters] = await Promise.all(
        [names.registry, names.changes, names.deadLetters].map(describe),
      );
      assert.deepEqual(registry!.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
      assert.equal(changes!.StreamSpecification?.StreamEnabled ?? false, false);
      assert.equal(deadLetters!.StreamSpecification?.StreamEnabled ?? false, false);
      for (const table of [registry!, changes!, deadLetters!]) {
        assert.equal(table.TableStatus, 'ACTIVE');
        assert.equal(table.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
      }
      assert.deepEqual(changes!.KeySchema, [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'version', KeyType: 'RANGE' },
      ]);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: names.changes }));
      assert.equal(ttl.TimeToLiveDescription?.AttributeName, 'expiresAt');
      // The dead-letter store accepts the table as its own (it checks for its index).
      await ensureDeadLetterTable(client, names.deadLetters);
    } finally {
      await tables.drop();
    }
  });

  it('[dynamodb] numbers resync changes strictly upwards, ending at the snapshot version', () => {
    assert.deepEqual(resyncVersions(2, 10, 3), [8, 9, 10]);
    assert.deepEqual(resyncVersions(2, 5, 3), [3, 4, 5]);
    assert.deepEqual(resyncVersions(2, 3, 4), [2.25, 2.5, 2.75, 3]);
    assert.deepEqual(resyncVersions(7, 4, 2), [7.5, 8]);
    assert.deepEqual(resyncVersions(2, 10, 0), []);
  });

  it('[dynamodb] a write through one instance reaches the listeners of another, in order', async () => {
    const env = await environment();
    try {
      const writer = env.open();
      const reader = env.open();
      const seen = record(reader);
      await writer.create('eventtype', eventType('a'));
      await writer.put('eventtype', eventType('a', 'v2'));
      await writer.create('function', fn('f'));
      await writer.delete('eventtype', 'default', 'a');
      await writer.put('eventtype', eventType('b'));

      const changes = await seen.waitFor(5);
      assert.deepEqual(
        changes.map(({ kind, id, item }) => [kind, id, item]),
        [
          ['eventtype', 'a', eventType('a')],
          ['eventtype', 'a', eventType('a', 'v2')],
          ['function', 'f', fn('f')],
          ['eventtype', 'a', undefined],
          ['eventtype', 'b', eventType('b')],
        ],
      );
      const versions = changes.map((change) => change.version);
      assert.deepEqual(versions, [...versions].sort((x, y) => x - y));
      assert.equal(new Set(versions).size, 5);
      assert.equal((await reader.snapshot()).version, versions.at(-1));
      assert.deepEqual(await reader.list('eventtype', 'default'), [eventType('b')]);
    } finally {
      await env.cleanup();
    }
  });

  it('[dynamodb] a routing table on one instance follows the config written through another', async () => {
    const env = await environment();
    try {
      const writer = env.open();
      await writer.create('eventtype', { space: 'default', name: 'user.created' });
      await writer.create('function', fn('handler'));
      const live = await LiveRoutingTable.start(env.open());
      try {
        assert.equal(live.current.function('default', 'handler')?.functionId, 'handler');
        await writer.create('subscription', subscription('sub', 'handler'));
        await writer.delete('function', 'default', 'handler');
        const deadline = Date.now() + 5000;
        while (live.current.function('default', 'handler') !== undefined || !live.current.subscription('default', 'sub')) {
          if (Date.now() > deadline) assert.fail(`routing table at version ${live.builtVersion}: ${live.current.describe()}`);
          await sleep(10);
        }
        assert.deepEqual(live.current.matchAsync('POST', '/', 'user.created'), [subscription('sub', 'handler')]);
        assert.equal(live.builtVersion, (await writer.snapshot()).version);
      } finally {
        live.close();
      }
    } finally {
      await env.cleanup();
    }
  });

  it('[dynamodb] a change reaches another instance in under 2 s (200 ms poll), as onChangeLag reports', async (t) => {
    const env = await environment();
    try {
      const writer = env.open();
      const lags: number[] = [];
      const reader = env.open({ onChangeLag: (lagMs) => lags.push(lagMs) });
      const seen = record(reader);
      const measured: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await writer.put('eventtype', eventType(`lag-${i}`));
        await seen.waitFor(i + 1);
        measured.push(seen.changes[i]!.at - start);
        await sleep(Math.random() * 200);
      }
      const worst = Math.max(...measured);
      const median = [...measured].sort((x, y) => x - y)[2]!;
      t.diagnostic(`lag ms: ${measured.map((ms) => ms.toFixed(0)).join(', ')}`);
      assert.ok(worst < 2000, `lags: ${measured.join(', ')}`);
      assert.ok(median < 1000, `median lag ${median} ms`);
      // The adapter's own measure starts just before the write is sent and ends before the listeners run.
      assert.equal(lags.length, 5);
      for (const [index, lag] of lags.entries()) {
        assert.ok(lag >= 0 && lag <= measured[index]! + 5, `reported ${lag} ms, measured ${measured[index]} ms`);
      }
    } finally {
      await env.cleanup();
    }
  });

  it('[dynamodb] a log trimmed past what a listener needs makes it resync, up to the snapshot version', async () => {
    const env = await environment();
    try {
      const writer = env.open();
      const reader = env.open({ pollIntervalMs: 50 });
      const seen = record(reader);
      await writer.create('eventtype', eventType('kept'));
      await writer.create('eventtype', eventType('gone'));
      const before = await seen.waitFor(2);

      // Writes the log never gets, then a counter that moved past entries which are no longer there.
      await env.stopStreamPoller();
      await writer.delete('eventtype', 'default', 'gone');
      await writer.put('eventtype', eventType('kept', 'v2'));
      await writer.create('function', fn('new'));
      const { changes } = registryTableNames(env.tablePrefix);
      await client.send(
        new UpdateItemCommand({
          TableName: changes,
          Key: { pk: { S: 'counter' }, version: { N: '0' } },
          UpdateExpression: 'ADD #latest :three',
          ExpressionAttributeNames: { '#latest': 'latest' },
          ExpressionAttributeValues: { ':three': { N: '3' } },
        }),
      );

      const after = (await seen.waitFor(5)).slice(2);
      const byId = new Map(after.map((change) => [`${change.kind}/${change.id}`, change.item]));
      assert.deepEqual(Object.fromEntries(byId), {
        'eventtype/gone': undefined,
        'eventtype/kept': eventType('kept', 'v2'),
        'function/new': fn('new'),
      });
      const versions = [...before, ...after].map((change) => change.version);
      for (let i = 1; i < versions.length; i++) {
        assert.ok(versions[i]! > versions[i - 1]!, `versions: ${versions.join(', ')}`);
      }
      assert.equal(versions.at(-1), 5);
      assert.equal((await reader.snapshot()).version, 5);
      await sleep(200);
      assert.equal(seen.changes.length, 5);
    } finally {
      await env.cleanup();
    }
  });

  it('[dynamodb] a referring create racing deleteUnlessReferenced of another instance: one wins, no dangling reference', async (t) => {
    const tables = await freshTables();
    const left = new DynamoRegistry({ client, tablePrefix: tables.tablePrefix });
    const right = new DynamoRegistry({ client, tablePrefix: tables.tablePrefix });
    try {
      const outcomes = new Set<string>();
      for (let round = 0; round < 12; round++) {
        const functionId = `f${round}`;
        await left.create('function', fn(functionId));
        const [created, deleted] = await Promise.allSettled([
          // A random head start for the delete, so that either side may win and the create may land mid-check.
          sleep(Math.random() * 40).then(() =>
            left.create('subscription', subscription(`s${round}`, functionId), {
              requires: [{ kind: 'function', id: functionId }],
            }),
          ),
          right.deleteUnlessReferenced('function', 'default', functionId, [
            { kind: 'subscription', references: (s) => s.functionId === functionId },
          ]),
        ]);
        assert.equal(deleted.status, 'fulfilled');
        const outcome = deleted.value.outcome;
        outcomes.add(outcome);
        const stored = await left.get('subscription', 'default', `s${round}`);
        const functionLeft = await left.get('function', 'default', functionId);
        if (outcome === 'deleted') {
          assert.ok(created.status === 'rejected' && created.reason instanceof ReferenceMissingError);
          assert.equal(stored, undefined);
          assert.equal(functionLeft, undefined);
        } else {
          assert.equal(outcome, 'referenced');
          assert.equal(created.status, 'fulfilled');
          assert.ok(stored && functionLeft);
        }
      }
      t.diagnostic(`outcomes seen: ${[...outcomes].join(', ')}`);
    } finally {
      await Promise.all([left.close(), right.close()]);
      await tables.drop();
    }
  });
});

describe('applyStreamRecords [dynamodb]', () => {
  /** A registry item as a Lambda event shows it: plain JSON attribute values. */
  const image = (kind: string, id: string, json: string, writeId: string, writtenAt: number) => ({
    pk: { S: `${kind}#default` },
    sk: { S: id },
    json: { S: json },
    writeId: { S: writeId },
    writtenAt: { N: String(writtenAt) },
  });
  const keysOf = (pk: string, sk: string) => ({ pk: { S: pk }, sk: { S: sk } });

  it('[dynamodb] logs Lambda-shaped INSERT, MODIFY and REMOVE records under consecutive versions, skipping others', async () => {
    const tables = await freshTables();
    try {
      const keys = keysOf('eventtype#default', 'a');
      const first = JSON.stringify(eventType('a'));
      const second = JSON.stringify(eventType('a', 'v2'));
      const oldImage = image('eventtype', 'a', first, 'w1', 1000);
      const newImage = image('eventtype', 'a', second, 'w2', 2000);
      const records: DynamoDBStreamRecordLike[] = [
        { eventID: '1', eventName: 'INSERT', dynamodb: { Keys: keys, NewImage: oldImage, SequenceNumber: '100' } },
        { eventID: '2', eventName: 'MODIFY', dynamodb: { Keys: keysOf('guard#subscription#default', 'guard') } },
        { eventID: '3', eventName: 'MODIFY', dynamodb: { Keys: keys, OldImage: oldImage, NewImage: newImage, SequenceNumber: '102' } },
        { eventID: '4', eventName: 'REMOVE', dynamodb: { Keys: keys, OldImage: newImage, SequenceNumber: '103' } },
        { eventID: '5', eventName: 'UNKNOWN', dynamodb: { Keys: keys } },
      ];
      const deps = { client, tablePrefix: tables.tablePrefix, now: () => 5_000_000 };
      assert.deepEqual(await applyStreamRecords(records, deps), { versions: [1, 2, 3], skipped: 2, keyOnly: 0 });

      const { changes } = registryTableNames(tables.tablePrefix);
      const entry = { kind: 'eventtype', space: 'default', id: 'a' } as const;
      assert.equal(await readCounter(client, changes), 3);
      assert.deepEqual(await readEntries(client, changes, 1, 3), [
        { version: 1, ...entry, json: first, writeId: 'w1', deleted: false, writtenAt: 1000, sequenceNumber: '100' },
        { version: 2, ...entry, json: second, writeId: 'w2', deleted: false, writtenAt: 2000, sequenceNumber: '102' },
        { version: 3, ...entry, writeId: 'w2', deleted: true, sequenceNumber: '103' },
      ]);
      const { Item } = await client.send(
        new GetItemCommand({ TableName: changes, Key: { pk: { S: 'log' }, version: { N: '1' } }, ConsistentRead: true }),
      );
      assert.equal(Item?.['expiresAt']?.N, String(5000 + 24 * 60 * 60));
    } finally {
      await tables.drop();
    }
  });

  it('[dynamodb] concurrent batches get distinct, gap-free versions, each batch in its order', async () => {
    const tables = await freshTables();
    try {
      const batch = (prefix: string): DynamoDBStreamRecordLike[] =>
        Array.from({ length: 6 }, (_, i) => ({
          eventName: 'INSERT',
          dynamodb: {
            Keys: keysOf('function#default', `${prefix}${i}`),
            NewImage: image('function', `${prefix}${i}`, JSON.stringify(fn(`${prefix}${i}`)), `${prefix}${i}`, 1),
          },
        }));
      const deps = { client, tablePrefix: tables.tablePrefix };
      const results = await Promise.all(['a', 'b', 'c'].map((prefix) => applyStreamRecords(batch(prefix), deps)));
      const versions = results.flatMap((result) => result.versions).sort((x, y) => x - y);
      assert.deepEqual(versions, Array.from({ length: 18 }, (_, i) => i + 1));
      const entries = await readEntries(client, registryTableNames(tables.tablePrefix).changes, 1, 18);
      for (const prefix of ['a', 'b', 'c']) {
        const ids = entries.filter((entry) => entry.id.startsWith(prefix)).map((entry) => entry.id);
        assert.deepEqual(ids, Array.from({ length: 6 }, (_, i) => `${prefix}${i}`));
      }
    } finally {
      await tables.drop();
    }
  });
});

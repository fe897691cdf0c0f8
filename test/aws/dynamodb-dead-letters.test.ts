import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DEAD_LETTER_INDEX,
  DynamoDeadLetterStore,
  ensureDeadLetterTable,
} from '../../lib/adapters/dead-letters/dynamodb/index.js';
import type { DeadLetterRecord } from '../../lib/ports/dead-letter-store.js';
import { runDeadLetterStoreContract } from '../contracts/dead-letter-store.contract.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const client = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
/** DynamoDB Local is shared by the files running in parallel: every table of this run gets this prefix. */
const RUN = `eg-dl-${randomUUID().slice(0, 8)}`;
let tableCount = 0;

async function createTable(): Promise<string> {
  const tableName = `${RUN}-${++tableCount}-deadletters`;
  await ensureDeadLetterTable(client, tableName);
  return tableName;
}

async function deleteTable(tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
}

runDeadLetterStoreContract('dynamodb', async () => {
  const tableName = await createTable();
  const store = new DynamoDeadLetterStore({ client, tableName });
  return {
    store,
    async cleanup() {
      await store.close();
      await deleteTable(tableName);
    },
  };
});

function makeRecord(id: string, event: string): DeadLetterRecord {
  return {
    item: {
      id,
      space: 'default',
      subscriptionId: 'subscription',
      functionId: 'function',
      eventType: 'user.created',
      event,
      system: false,
      acceptedAt: 1_700_000_000_000,
    },
    attempts: 10,
    firstAttemptAt: 1_700_000_001_000,
    lastAttemptAt: 1_700_000_090_000,
    deadAt: 1_700_000_090_001,
    lastError: { message: 'HTTP status code: 503', status: 503 },
  };
}

describe('DynamoDeadLetterStore', () => {
  const tables: string[] = [];
  after(async () => {
    for (const tableName of tables) await deleteTable(tableName);
  });

  async function open() {
    const tableName = await createTable();
    tables.push(tableName);
    return { store: new DynamoDeadLetterStore({ client, tableName }), tableName };
  }

  it('[dynamodb] ensureDeadLetterTable creates the table with its index once, and accepts it when it exists', async () => {
    const { tableName } = await open();
    await ensureDeadLetterTable(client, tableName);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    assert.deepEqual(Table?.KeySchema, [
      { AttributeName: 'space', KeyType: 'HASH' },
      { AttributeName: 'id', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(
      Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema]),
      [[DEAD_LETTER_INDEX, [
        { AttributeName: 'space', KeyType: 'HASH' },
        { AttributeName: 'deadKey', KeyType: 'RANGE' },
      ]]],
    );
  });

  it('[dynamodb] keeps the record of a 256 KiB body, with the event as its own string attribute', async () => {
    const { store, tableName } = await open();
    // A 256 KiB binary body in a 0.1 event: base64 in the data, plus the envelope (docs/compatibility.md#limits).
    const body = Buffer.alloc(256 * 1024, 0xa7).toString('base64');
    const event = JSON.stringify({
      eventType: 'http.request',
      eventID: randomUUID(),
      cloudEventsVersion: '0.1',
      source: '/',
      contentType: 'application/octet-stream',
      data: { headers: { 'content-type': ['application/octet-stream'] }, body, path: '/', method: 'POST' },
    });
    const record = makeRecord('big', event);
    await store.put(record);
    assert.deepEqual(await store.get('default', 'big'), record);
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { space: { S: 'default' }, id: { S: 'big' } } }));
    assert.equal(Item?.event?.S, event);
    assert.ok(!(Item?.record?.S ?? '').includes(body), 'the event is not stored twice');
  });

  it('[dynamodb] rejects a record over the 400 KB item limit with a clear error', async () => {
    const { store } = await open();
    await assert.rejects(store.put(makeRecord('huge', 'x'.repeat(410_000))), (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /^dead letter "huge" is \d+ bytes as a DynamoDB item, over DynamoDB's limit of 409600 bytes$/);
      return true;
    });
    assert.equal(await store.get('default', 'huge'), undefined);
  });

  it('[dynamodb] rejects a deadAt that is not a non-negative integer, a limit below 1, and calls once closed', async () => {
    const { store } = await open();
    await assert.rejects(store.put({ ...makeRecord('fraction', '{}'), deadAt: 1.5 }), TypeError);
    await assert.rejects(store.put({ ...makeRecord('negative', '{}'), deadAt: -1 }), TypeError);
    await assert.rejects(store.list('default', {}, { limit: 0 }), RangeError);
    await store.close();
    await assert.rejects(store.count(), /the dead-letter store is closed/);
  });

  it('[dynamodb] pages through a filter that skips most records, over several Query calls', async () => {
    const { store, tableName } = await open();
    const records = Array.from({ length: 250 }, (_, index) => {
      const record = makeRecord(`r${String(index).padStart(3, '0')}`, '{}');
      record.deadAt += index;
      record.item.subscriptionId = index % 100 === 0 ? 'rare' : 'common';
      return record;
    });
    for (let start = 0; start < records.length; start += 25) {
      await Promise.all(records.slice(start, start + 25).map((record) => store.put(record)));
    }
    const counting = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
    let queries = 0;
    counting.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'QueryCommand') queries++;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const first = await new DynamoDeadLetterStore({ client: counting, tableName }).list('default', { subscriptionId: 'rare' }, { limit: 2 });
    assert.deepEqual(first.records.map((record) => record.item.id), ['r200', 'r100']);
    assert.ok(queries >= 2, `the page took ${queries} Query call`);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('default', { subscriptionId: 'rare' }, cursor ? { limit: 1, cursor } : { limit: 1 });
      pages.push(page.records.map((record) => record.item.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(pages, [['r200'], ['r100'], ['r000']]);
    assert.equal(await store.deleteMatching('default', { subscriptionId: 'common' }), 247);
    assert.equal(await store.count(), 3);
  });
});

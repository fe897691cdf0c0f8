/**
 * The DeadLetterStore port's contract, written once and run against every adapter (SQLite here, DynamoDB later):
 *
 *   runDeadLetterStoreContract('sqlite', async () => ({ store, cleanup }));
 *
 * `create` must return an empty store for each test; `cleanup` closes and releases it. Reads may lag writes a
 * little (an eventually consistent index), so checks of what a write did poll with a deadline.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InvalidCursorError,
  type DeadLetterFilter,
  type DeadLetterRecord,
  type DeadLetterStore,
} from '../../lib/ports/dead-letter-store.js';

export interface DeadLetterStoreUnderTest {
  store: DeadLetterStore;
  cleanup(): Promise<void>;
}

const DEADLINE_MS = 5000;
const BASE_TIME = 1_700_000_000_000;

interface RecordShape {
  space?: string;
  subscriptionId?: string;
  functionId?: string;
  /** Seconds after BASE_TIME. */
  deadAt?: number;
  note?: string;
}

function makeRecord(id: string, shape: RecordShape = {}): DeadLetterRecord {
  const space = shape.space ?? 'space-a';
  const deadAt = BASE_TIME + (shape.deadAt ?? 0) * 1000;
  return {
    item: {
      id,
      space,
      subscriptionId: shape.subscriptionId ?? 'subscription-a',
      functionId: shape.functionId ?? 'function-a',
      eventType: 'user.created',
      event: JSON.stringify({ eventType: 'user.created', eventID: id, data: { note: shape.note ?? 'v1' } }),
      system: false,
      acceptedAt: BASE_TIME - 60_000,
    },
    attempts: 3,
    firstAttemptAt: BASE_TIME - 50_000,
    lastAttemptAt: deadAt - 10,
    deadAt,
    lastError: { message: 'HTTP status code: 503', status: 503 },
  };
}

const ids = (records: readonly DeadLetterRecord[]) => records.map((record) => record.item.id);

/** Pages through `list` with `limit`, returning every page's ids. */
async function allPages(
  store: DeadLetterStore,
  space: string,
  filter: DeadLetterFilter,
  limit: number,
): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(space, filter, cursor === undefined ? { limit } : { limit, cursor });
    assert.ok(page.records.length <= limit, `a page of limit ${limit} held ${page.records.length} records`);
    pages.push(ids(page.records));
    cursor = page.nextCursor;
    assert.ok(pages.length <= 100, 'paging does not end');
  } while (cursor !== undefined);
  return pages;
}

/** Polls `read` until it deep-equals `expected`. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const actual = await read();
    try {
      assert.deepEqual(actual, expected);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(20);
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

export function runDeadLetterStoreContract(
  adapterName: string,
  create: () => Promise<DeadLetterStoreUnderTest>,
): void {
  describe(`DeadLetterStore contract [${adapterName}]`, () => {
    let subject: DeadLetterStoreUnderTest | undefined;

    beforeEach(async () => {
      subject = await create();
    });

    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    function test(name: string, body: (store: DeadLetterStore) => Promise<void>): void {
      it(`[${adapterName}] ${name}`, async () => {
        assert.ok(subject, 'the adapter factory did not produce a store');
        await body(subject.store);
      });
    }

    async function putAll(store: DeadLetterStore, records: readonly DeadLetterRecord[]): Promise<void> {
      for (const record of records) await store.put(record);
    }

    test('put then get returns the record exactly', async (store) => {
      const full = makeRecord('full', { space: 'späce-ü', note: 'héllo 🌍' });
      full.item.authorizerRequest = JSON.stringify({ headers: { authorization: ['Bearer x'] } });
      full.item.system = true;
      const bare = makeRecord('bare');
      bare.lastError = { message: 'connect ECONNREFUSED 127.0.0.1:1' };
      await putAll(store, [full, bare]);
      assert.deepEqual(await store.get('späce-ü', 'full'), full);
      assert.deepEqual(await store.get('space-a', 'bare'), bare);
    });

    test('get of a missing id, or of an id in another space, is undefined', async (store) => {
      await store.put(makeRecord('present'));
      assert.equal(await store.get('space-a', 'absent'), undefined);
      assert.equal(await store.get('space-b', 'present'), undefined);
    });

    test('put replaces the record with the same space and id', async (store) => {
      await store.put(makeRecord('same', { deadAt: 1, subscriptionId: 'subscription-a', note: 'first' }));
      await store.put(makeRecord('other', { deadAt: 2 }));
      const replacement = makeRecord('same', { deadAt: 3, subscriptionId: 'subscription-b', note: 'second' });
      replacement.attempts = 10;
      await store.put(replacement);
      assert.deepEqual(await store.get('space-a', 'same'), replacement);
      await eventually(async () => ids((await store.list('space-a', {}, { limit: 10 })).records), ['same', 'other']);
      await eventually(
        async () => ids((await store.list('space-a', { subscriptionId: 'subscription-a' }, { limit: 10 })).records),
        ['other'],
      );
      await eventually(() => store.count(), 2);
    });

    test('the same id in two spaces is two records', async (store) => {
      const inA = makeRecord('shared', { space: 'space-a', note: 'a' });
      const inB = makeRecord('shared', { space: 'space-b', note: 'b' });
      await putAll(store, [inA, inB]);
      assert.deepEqual(await store.get('space-a', 'shared'), inA);
      assert.deepEqual(await store.get('space-b', 'shared'), inB);
      await eventually(() => store.count(), 2);
    });

    test('list returns the space’s records newest first, by deadAt then id, both descending', async (store) => {
      await putAll(store, [
        makeRecord('m', { deadAt: 5 }),
        makeRecord('a', { deadAt: 9 }),
        makeRecord('z', { deadAt: 1 }),
        makeRecord('b', { deadAt: 5 }),
        makeRecord('y', { deadAt: 5 }),
        makeRecord('elsewhere', { space: 'space-b', deadAt: 7 }),
      ]);
      await eventually(async () => {
        const page = await store.list('space-a', {}, { limit: 100 });
        return { ids: ids(page.records), more: page.nextCursor !== undefined };
      }, { ids: ['a', 'y', 'm', 'b', 'z'], more: false });
      const page = await store.list('space-a', {}, { limit: 100 });
      assert.deepEqual(page.records[0], makeRecord('a', { deadAt: 9 }));
    });

    test('list of a space without records is one empty page without a cursor', async (store) => {
      await store.put(makeRecord('elsewhere', { space: 'space-b' }));
      assert.deepEqual(await store.list('space-a', {}, { limit: 10 }), { records: [] });
      assert.deepEqual(await store.list('space-b', { subscriptionId: 'nobody' }, { limit: 10 }), { records: [] });
    });

    test('list filters by subscriptionId, by functionId, and by both', async (store) => {
      await putAll(store, [
        makeRecord('s1f1', { subscriptionId: 's1', functionId: 'f1', deadAt: 4 }),
        makeRecord('s1f2', { subscriptionId: 's1', functionId: 'f2', deadAt: 3 }),
        makeRecord('s2f1', { subscriptionId: 's2', functionId: 'f1', deadAt: 2 }),
        makeRecord('s2f2', { subscriptionId: 's2', functionId: 'f2', deadAt: 1 }),
        makeRecord('other-space', { space: 'space-b', subscriptionId: 's1', functionId: 'f1', deadAt: 5 }),
      ]);
      const listed = async (filter: DeadLetterFilter) => ids((await store.list('space-a', filter, { limit: 10 })).records);
      await eventually(() => listed({ subscriptionId: 's1' }), ['s1f1', 's1f2']);
      await eventually(() => listed({ functionId: 'f1' }), ['s1f1', 's2f1']);
      await eventually(() => listed({ subscriptionId: 's2', functionId: 'f2' }), ['s2f2']);
      await eventually(() => listed({ subscriptionId: 's3' }), []);
    });

    test('limit and the cursor page through every record once, in order, and the last page has no cursor', async (store) => {
      const records = Array.from({ length: 7 }, (_, index) => makeRecord(`r${index}`, { deadAt: index }));
      await putAll(store, records);
      const newestFirst = ['r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0'];
      await eventually(() => allPages(store, 'space-a', {}, 3), [
        ['r6', 'r5', 'r4'],
        ['r3', 'r2', 'r1'],
        ['r0'],
      ]);
      // A page that ends exactly on the last record carries no cursor either.
      await eventually(() => allPages(store, 'space-a', {}, 7), [newestFirst]);
      await eventually(() => allPages(store, 'space-a', {}, 1), newestFirst.map((id) => [id]));
    });

    test('paging with a filter returns only the matching records, once each', async (store) => {
      const records = Array.from({ length: 9 }, (_, index) =>
        makeRecord(`r${index}`, { deadAt: index, subscriptionId: index % 3 === 0 ? 'wanted' : 'other' }),
      );
      await putAll(store, records);
      await eventually(() => allPages(store, 'space-a', { subscriptionId: 'wanted' }, 2), [['r6', 'r3'], ['r0']]);
    });

    test('records written or deleted while paging do not shift the pages', async (store) => {
      await putAll(
        store,
        Array.from({ length: 6 }, (_, index) => makeRecord(`r${index}`, { deadAt: index })),
      );
      await eventually(async () => (await store.list('space-a', {}, { limit: 10 })).records.length, 6);
      const first = await store.list('space-a', {}, { limit: 2 });
      assert.deepEqual(ids(first.records), ['r5', 'r4']);
      assert.ok(first.nextCursor !== undefined);
      await store.put(makeRecord('newer', { deadAt: 100 }));
      assert.equal(await store.delete('space-a', 'r4'), true);
      const rest: string[] = [];
      let cursor: string | undefined = first.nextCursor;
      while (cursor !== undefined) {
        const page = await store.list('space-a', {}, { limit: 2, cursor });
        rest.push(...ids(page.records));
        cursor = page.nextCursor;
      }
      assert.deepEqual(rest, ['r3', 'r2', 'r1', 'r0']);
    });

    test('a cursor is an opaque base64url string', async (store) => {
      await putAll(store, [makeRecord('one', { deadAt: 1 }), makeRecord('two', { deadAt: 2 })]);
      await eventually(async () => (await store.list('space-a', {}, { limit: 1 })).nextCursor !== undefined, true);
      const { nextCursor } = await store.list('space-a', {}, { limit: 1 });
      assert.match(nextCursor ?? '', /^[A-Za-z0-9_-]+$/);
    });

    test('list rejects a cursor it did not issue with InvalidCursorError', async (store) => {
      await store.put(makeRecord('one'));
      const garbage = [
        '',
        'not a cursor!',
        '%%%',
        base64url('not json'),
        base64url('{}'),
        base64url('[1]'),
        base64url('["a","b"]'),
        base64url('[1.5,"a"]'),
        base64url('null'),
      ];
      for (const cursor of garbage) {
        await assert.rejects(
          store.list('space-a', {}, { limit: 10, cursor }),
          (error) => {
            assert.ok(error instanceof InvalidCursorError, `cursor ${JSON.stringify(cursor)}: got ${String(error)}`);
            assert.equal(error.message, 'invalid cursor');
            return true;
          },
        );
      }
    });

    test('delete removes the record and returns true, then false', async (store) => {
      const kept = makeRecord('kept');
      await putAll(store, [makeRecord('gone'), kept, makeRecord('gone', { space: 'space-b' })]);
      assert.equal(await store.delete('space-a', 'gone'), true);
      assert.equal(await store.get('space-a', 'gone'), undefined);
      assert.equal(await store.delete('space-a', 'gone'), false);
      assert.equal(await store.delete('space-a', 'never'), false);
      assert.deepEqual(await store.get('space-a', 'kept'), kept);
      assert.deepEqual(await store.get('space-b', 'gone'), makeRecord('gone', { space: 'space-b' }));
      await eventually(() => store.count(), 2);
    });

    test('deleteMatching removes the matching records of the space and returns how many', async (store) => {
      await putAll(store, [
        makeRecord('s1f1', { subscriptionId: 's1', functionId: 'f1' }),
        makeRecord('s1f2', { subscriptionId: 's1', functionId: 'f2' }),
        makeRecord('s2f1', { subscriptionId: 's2', functionId: 'f1' }),
        makeRecord('s2f2', { subscriptionId: 's2', functionId: 'f2' }),
        makeRecord('s3f3', { subscriptionId: 's3', functionId: 'f3' }),
        makeRecord('b-s1f1', { space: 'space-b', subscriptionId: 's1', functionId: 'f1' }),
      ]);
      assert.equal(await store.deleteMatching('space-a', { subscriptionId: 's2', functionId: 'f2' }), 1);
      assert.equal(await store.deleteMatching('space-a', { subscriptionId: 's1' }), 2);
      assert.equal(await store.deleteMatching('space-a', { functionId: 'f1' }), 1);
      assert.equal(await store.deleteMatching('space-a', { functionId: 'f1' }), 0);
      await eventually(async () => ids((await store.list('space-a', {}, { limit: 10 })).records), ['s3f3']);
      assert.ok(await store.get('space-b', 'b-s1f1'), 'another space is untouched');
      assert.equal(await store.deleteMatching('space-a', {}), 1);
      await eventually(() => store.count(), 1);
    });

    test('count counts the records of every space', async (store) => {
      assert.equal(await store.count(), 0);
      await putAll(store, [
        makeRecord('one'),
        makeRecord('two'),
        makeRecord('one', { space: 'space-b' }),
        makeRecord('one', { note: 'replaced' }),
      ]);
      await eventually(() => store.count(), 3);
    });
  });
}

import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { QUEUE_MIGRATIONS, SqliteDeliveryQueue, type SqliteDeliveryQueueOptions } from '../../lib/adapters/queue/sqlite/index.js';
import { migrate, openDatabase, type SqliteDatabase } from '../../lib/adapters/sqlite/index.js';
import { QueueFullError, type DeliveryItem, type NewDeliveryItem } from '../../lib/ports/delivery-queue.js';
import { runDeliveryQueueContract } from '../contracts/delivery-queue.contract.js';

runDeliveryQueueContract('sqlite', async (options) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'eg-queue-'));
  const db = openDatabase({ dataDir });
  const queue = new SqliteDeliveryQueue(db, options);
  return {
    queue,
    async cleanup() {
      await queue.close();
      db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

// The same contract with the hand-off off: every item goes through the table, leased by a write (as after a restart).
runDeliveryQueueContract('sqlite, no hand-off', async (options) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'eg-queue-'));
  const db = openDatabase({ dataDir });
  const queue = new SqliteDeliveryQueue(db, { ...options, maxHandoffBytes: 0 });
  return {
    queue,
    async cleanup() {
      await queue.close();
      db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

const LONG_LEASE_MS = 60_000;

function makeItem(id: string, overrides: Partial<NewDeliveryItem> = {}): NewDeliveryItem {
  return {
    id,
    space: 'default',
    subscriptionId: 'subscription',
    functionId: 'function',
    eventType: 'user.created',
    event: JSON.stringify({ id }),
    system: false,
    acceptedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function makeItems(prefix: string, count: number): NewDeliveryItem[] {
  return Array.from({ length: count }, (_, index) => makeItem(`${prefix}-${index}`));
}

/** A fresh data directory for `body`, removed afterwards; `open` opens (or reopens) its database. */
async function withDataDir(
  body: (open: (options?: SqliteDeliveryQueueOptions) => { db: SqliteDatabase; queue: SqliteDeliveryQueue }) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'eg-queue-'));
  const opened: { db: SqliteDatabase; queue: SqliteDeliveryQueue }[] = [];
  try {
    await body((options) => {
      const db = openDatabase({ dataDir });
      const queue = new SqliteDeliveryQueue(db, options);
      opened.push({ db, queue });
      return { db, queue };
    });
  } finally {
    for (const { db, queue } of opened) {
      await queue.close();
      if (db.open) db.close();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

function rowCount(db: SqliteDatabase): number {
  return db.prepare<[], number>('SELECT count(*) FROM delivery_queue').pluck().get() ?? 0;
}

describe('SqliteDeliveryQueue', () => {
  describe('group commit', () => {
    it('[sqlite] commits 200 concurrent enqueue calls in far fewer transactions', async () => {
      await withDataDir(async (open) => {
        const commits: { calls: number; items: number }[] = [];
        const { queue } = open({ onCommit: (stats) => commits.push(stats) });
        const calls = Array.from({ length: 200 }, (_, call) => makeItems(`group-${call}`, 1 + (call % 3)));
        await Promise.all(calls.map((items) => queue.enqueue(items)));
        assert.ok(commits.length <= 5, `200 calls took ${commits.length} commits`);
        assert.equal(
          commits.reduce((sum, stats) => sum + stats.calls, 0),
          200,
        );
        assert.equal(
          commits.reduce((sum, stats) => sum + stats.items, 0),
          calls.flat().length,
        );
        assert.equal(await queue.pending(), calls.flat().length);
      });
    });

    it('[sqlite] keeps each commit within maxBatchItems without splitting a call', async () => {
      await withDataDir(async (open) => {
        const commits: { calls: number; items: number }[] = [];
        const { queue } = open({ maxBatchItems: 120, onCommit: (stats) => commits.push(stats) });
        await Promise.all(Array.from({ length: 50 }, (_, call) => queue.enqueue(makeItems(`split-${call}`, 10))));
        assert.ok(commits.length >= 5, `500 items in ${commits.length} commits`);
        for (const stats of commits) {
          assert.ok(stats.items <= 120, `a commit carried ${stats.items} items`);
          assert.equal(stats.items, stats.calls * 10);
        }
        commits.length = 0;
        await queue.enqueue(makeItems('oversized', 300));
        assert.deepEqual(commits, [{ calls: 1, items: 300 }]);
      });
    });

    it('[sqlite] gathers calls made a few milliseconds apart when maxLingerMs allows', async () => {
      await withDataDir(async (open) => {
        const lingering: { calls: number; items: number }[] = [];
        const immediate: { calls: number; items: number }[] = [];
        const { queue: withLinger } = open({ maxLingerMs: 300, onCommit: (stats) => lingering.push(stats) });
        const { queue: withoutLinger } = open({ onCommit: (stats) => immediate.push(stats) });
        for (const queue of [withLinger, withoutLinger]) {
          const prefix = queue === withLinger ? 'linger' : 'immediate';
          const first = queue.enqueue([makeItem(`${prefix}-1`)]);
          await sleep(20);
          await Promise.all([first, queue.enqueue([makeItem(`${prefix}-2`)])]);
        }
        assert.deepEqual(lingering, [{ calls: 2, items: 2 }]);
        assert.deepEqual(immediate, [
          { calls: 1, items: 1 },
          { calls: 1, items: 1 },
        ]);
      });
    });

    it('[sqlite] rejects a failing call alone and commits the others of its group', async () => {
      await withDataDir(async (open) => {
        const commits: { calls: number; items: number }[] = [];
        const { queue } = open({ onCommit: (stats) => commits.push(stats) });
        const broken = makeItem('broken', { id: null as unknown as string });
        const results = await Promise.allSettled([
          queue.enqueue([makeItem('good-1')]),
          queue.enqueue([makeItem('good-2'), broken]),
          queue.enqueue([makeItem('good-3')]),
        ]);
        assert.deepEqual(
          results.map((result) => result.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
        assert.deepEqual(commits, [{ calls: 2, items: 2 }]);
        assert.equal(await queue.pending(), 2);
        const received = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.deepEqual(received.map((item) => item.id).sort(), ['good-1', 'good-3']);
      });
    });

    it('[sqlite] reports no commit for acks, retries and leases alone', async () => {
      await withDataDir(async (open) => {
        const commits: { calls: number; items: number }[] = [];
        const { queue } = open({ onCommit: (stats) => commits.push(stats) });
        await queue.enqueue(makeItems('quiet', 2));
        commits.length = 0;
        const [first, second] = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        await queue.ack(first as DeliveryItem);
        await queue.retry(second as DeliveryItem, 0, { message: 'again' });
        assert.equal(await queue.pending(), 1);
        assert.deepEqual(commits, []);
      });
    });
  });

  describe('back-pressure', () => {
    it('[sqlite] counts calls accepted but not yet committed against maxPending', async () => {
      await withDataDir(async (open) => {
        const { queue } = open({ maxPending: 5 });
        const first = queue.enqueue(makeItems('first', 3));
        const second = queue.enqueue(makeItems('second', 3));
        await Promise.all([
          first,
          assert.rejects(second, (error) => error instanceof QueueFullError && error.pending === 3),
        ]);
        assert.equal(await queue.pending(), 3);
      });
    });

    it('[sqlite] starts counting from the items already in the table', async () => {
      await withDataDir(async (open) => {
        const { queue, db } = open();
        await queue.enqueue(makeItems('old', 4));
        await queue.close();
        db.close();
        const { queue: reopened } = open({ maxPending: 5 });
        assert.equal(await reopened.pending(), 4);
        await assert.rejects(
          reopened.enqueue(makeItems('new', 2)),
          (error) => error instanceof QueueFullError && error.pending === 4 && error.limit === 5,
        );
        await reopened.enqueue(makeItems('new', 1));
      });
    });

    it('[sqlite] counts an id enqueued again once', async () => {
      await withDataDir(async (open) => {
        const { queue } = open({ maxPending: 3 });
        await queue.enqueue([makeItem('same'), makeItem('other')]);
        await queue.enqueue([makeItem('same')]);
        assert.equal(await queue.pending(), 2);
        await queue.enqueue([makeItem('third')]);
        assert.equal(await queue.pending(), 3);
      });
    });
  });

  describe('durability', () => {
    it("[sqlite] sets synchronous = NORMAL by default and FULL for 'power'", async () => {
      await withDataDir(async (open) => {
        const { db: processDb } = open();
        assert.equal(processDb.pragma('synchronous', { simple: true }), 1);
        assert.equal(processDb.pragma('journal_mode', { simple: true }), 'wal');
        const { db: powerDb } = open({ durability: 'power' });
        assert.equal(powerDb.pragma('synchronous', { simple: true }), 2);
        const { db: explicitDb } = open({ durability: 'process' });
        assert.equal(explicitDb.pragma('synchronous', { simple: true }), 1);
      });
    });

    it('[sqlite] keeps items, attempts and errors across a reopen, and frees the old leases at once', async () => {
      await withDataDir(async (open) => {
        const { queue, db } = open();
        await queue.enqueue([makeItem('retried'), makeItem('acked'), makeItem('leased')]);
        const received = new Map(
          (await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 })).map((item) => [item.id, item]),
        );
        await queue.retry(received.get('retried') as DeliveryItem, 0, { message: 'HTTP status code: 503', status: 503 });
        const retried = (await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }))[0] as DeliveryItem;
        await queue.retry(retried, 0, { message: 'timeout' });
        await queue.ack(received.get('acked') as DeliveryItem);
        await queue.close();
        db.close();

        const { queue: reopened } = open();
        assert.equal(await reopened.pending(), 2);
        const back = new Map(
          (await reopened.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 })).map((item) => [item.id, item]),
        );
        assert.deepEqual([...back.keys()].sort(), ['leased', 'retried']);
        assert.deepEqual(back.get('leased'), { ...makeItem('leased'), attempts: 0 });
        assert.deepEqual(back.get('retried'), {
          ...makeItem('retried'),
          attempts: 2,
          firstAttemptAt: retried.firstAttemptAt,
          lastError: { message: 'timeout' },
        });
        assert.equal(typeof retried.firstAttemptAt, 'number');
      });
    });

    it('[sqlite] resolves an ack before its commit and commits it with the next group or on close', async () => {
      await withDataDir(async (open) => {
        const { queue, db } = open();
        await queue.enqueue([makeItem('one'), makeItem('two')]);
        const [one, two] = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        await queue.ack(one as DeliveryItem);
        assert.equal(rowCount(db), 2, 'the ack is not committed yet');
        assert.equal(await queue.pending(), 1);
        assert.equal(rowCount(db), 1);
        await queue.ack(two as DeliveryItem);
        await queue.close();
        assert.equal(rowCount(db), 0);
        await assert.rejects(queue.enqueue([makeItem('late')]), /the delivery queue is closed/);
      });
    });

    for (const durability of ['process', 'power'] as const) {
      it(`[sqlite] keeps every resolved enqueue when the process is killed mid-burst (durability '${durability}')`, async () => {
        const dataDir = await mkdtemp(join(tmpdir(), 'eg-queue-crash-'));
        try {
          const resolved = await runAndKillChild(dataDir, durability, 400);
          assert.ok(resolved.size >= 400, `the child reported ${resolved.size} ids`);
          const db = openDatabase({ dataDir });
          try {
            const queue = new SqliteDeliveryQueue(db);
            const stored = new Set(db.prepare<[], string>('SELECT id FROM delivery_queue').pluck().all());
            const missing = [...resolved].filter((id) => !stored.has(id));
            assert.deepEqual(missing, [], `${missing.length} of ${resolved.size} resolved ids are missing`);
            assert.equal(await queue.pending(), stored.size);
            await queue.close();
          } finally {
            db.close();
          }
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      });
    }
  });

  describe('schema', () => {
    it('[sqlite] receives an item stored before the event had a column of its own', async () => {
      await withDataDir(async (open) => {
        const { db: first } = open();
        first.exec('DROP TABLE delivery_queue; DELETE FROM schema_migrations WHERE component = \'queue\'');
        migrate(first, 'queue', QUEUE_MIGRATIONS.slice(0, 1));
        const old = makeItem('stored-by-step-1', { event: JSON.stringify({ eventType: 'user.created', data: { quoted: '"x"' } }) });
        first
          .prepare('INSERT INTO delivery_queue (id, visible_at, item) VALUES (?, ?, ?)')
          .run(old.id, 0, JSON.stringify(old));
        const { queue } = open();
        assert.deepEqual(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }), [{ ...old, attempts: 0 }]);
      });
    });
  });

  describe('hand-off', () => {
    it('[sqlite] hands committed items to a receive without writing the table', async () => {
      await withDataDir(async (open) => {
        const { queue, db } = open();
        const items = makeItems('handed', 3);
        await queue.enqueue(items);
        const changes = () => db.prepare<[], number>('SELECT total_changes()').pluck().get();
        const before = changes();
        const received = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.deepEqual(
          received.map((item) => item.id).sort(),
          items.map((item) => item.id).sort(),
        );
        assert.equal(changes(), before, 'the receive wrote nothing');
        for (const item of received) await queue.ack(item);
        assert.equal(await queue.pending(), 0);
        assert.equal(rowCount(db), 0);
      });
    });

    it('[sqlite] loses no held item when the process stops without a receive (the next start releases them)', async () => {
      await withDataDir(async (open) => {
        const { queue } = open();
        const items = makeItems('held', 4);
        await queue.enqueue(items);
        // Another queue on the same file starts as the next process would, without the first one closing.
        const { queue: next } = open();
        assert.equal(await next.pending(), 4);
        const back = await next.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.deepEqual(
          back.sort((a, b) => a.id.localeCompare(b.id)),
          items.map((item) => ({ ...item, attempts: 0 })),
        );
        await queue.close();
      });
    });

    it('[sqlite] stores items beyond maxHandoffBytes visible, and receives them through the table in order', async () => {
      await withDataDir(async (open) => {
        const { queue, db } = open({ maxHandoffBytes: 700 });
        const items = makeItems('overflow', 5);
        for (const item of items) await queue.enqueue([item]);
        const leasedRows = () => db.prepare<[], number>('SELECT count(*) FROM delivery_queue WHERE lease IS NOT NULL').pluck().get() ?? 0;
        assert.ok(leasedRows() < 5, 'some items are stored visible');
        const received: DeliveryItem[] = [];
        for (let i = 0; i < 5; i++) received.push(...(await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 })));
        assert.deepEqual(
          received,
          items.map((item) => ({ ...item, attempts: 0 })),
        );
        assert.deepEqual(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }), []);
      });
    });
  });

  describe('leases and order', () => {
    it('[sqlite] receives items in the order they fell due', async () => {
      await withDataDir(async (open) => {
        let clock = 1_000_000;
        const { queue } = open({ now: () => clock });
        const receiveOne = async () =>
          (await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 }))[0] ?? assert.fail('nothing received');
        for (const id of ['a', 'b', 'c']) await queue.enqueue([makeItem(id)]);
        const first = [await receiveOne(), await receiveOne(), await receiveOne()];
        assert.deepEqual(
          first.map((item) => item.id),
          ['a', 'b', 'c'],
        );
        await queue.enqueue([makeItem('e')]);
        clock += 10;
        await queue.retry(first[1] as DeliveryItem, 0, { message: 'again' });
        await queue.enqueue([makeItem('d')]);
        const second = [await receiveOne(), await receiveOne(), await receiveOne()];
        assert.deepEqual(
          second.map((item) => item.id),
          ['e', 'b', 'd'],
        );
      });
    });

    it('[sqlite] leases many items in one receive', async () => {
      await withDataDir(async (open) => {
        const { queue } = open();
        const items = makeItems('many', 3000);
        await queue.enqueue(items);
        const received = await queue.receive(5000, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.equal(received.length, 3000);
        assert.equal(new Set(received.map((item) => item.id)).size, 3000);
        assert.deepEqual(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }), []);
      });
    });

    it('[sqlite] lets a lease end by the clock, and ignores a retry of an earlier lease', async () => {
      await withDataDir(async (open) => {
        let clock = 1_000_000;
        const { queue } = open({ now: () => clock });
        await queue.enqueue([makeItem('x')]);
        const [stale] = await queue.receive(1, { leaseMs: 1000, waitMs: 0 });
        assert.deepEqual(await queue.receive(1, { leaseMs: 1000, waitMs: 0 }), []);
        clock += 1000;
        const [current] = await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.equal(current?.id, 'x');
        await queue.retry(stale as DeliveryItem, 0, { message: 'stale' });
        await queue.ack(stale as DeliveryItem);
        assert.equal(await queue.pending(), 1);
        clock += LONG_LEASE_MS;
        const [back] = await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.deepEqual(back, { ...makeItem('x'), attempts: 0 });
        await queue.retry(back as DeliveryItem, 0, { message: 'current' });
        const [retried] = await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.equal(retried?.attempts, 1);
      });
    });

    it('[sqlite] stores only the port fields of the objects it is given', async () => {
      await withDataDir(async (open) => {
        const { queue } = open();
        const carried = { ...makeItem('carried'), attempts: 7, lastError: { message: 'old' }, extra: 'x' };
        await queue.enqueue([carried]);
        const [received] = await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        assert.deepEqual(received, { ...makeItem('carried'), attempts: 0 });
      });
    });

    it('[sqlite] settles a copy of a received item by its id', async () => {
      await withDataDir(async (open) => {
        const { queue } = open();
        await queue.enqueue([makeItem('copied')]);
        const [received] = await queue.receive(1, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
        await queue.ack({ ...(received as DeliveryItem) });
        assert.equal(await queue.pending(), 0);
      });
    });
  });
});

/**
 * Forks the crash child, lets it enqueue until it has reported `atLeast` resolved ids, kills it with SIGKILL while
 * its calls are in flight, and returns every id it reported (messages already in the pipe included).
 */
function runAndKillChild(dataDir: string, durability: 'process' | 'power', atLeast: number): Promise<Set<string>> {
  const childPath = fileURLToPath(new URL('./fixtures/queue-crash-child.ts', import.meta.url));
  const child = fork(childPath, [dataDir, durability], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const resolved = new Set<string>();
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child reported only ${resolved.size} ids in time`));
    }, 15_000);
    child.on('message', (message: { resolved?: string[] }) => {
      for (const id of message.resolved ?? []) resolved.add(id);
      if (resolved.size >= atLeast && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL') reject(new Error(`the child exited by itself (${String(signal)})`));
      else resolve(resolved);
    });
  });
}

describe('SqliteDeliveryQueue: postpone (docs/limits.md)', () => {
  it('[sqlite] items postponed to the same due time come back in their order of arrival, whatever order they were postponed in', async () => {
    await withDataDir(async (open) => {
      let now = 1_800_000_000_000;
      const { queue } = open({ now: () => now });
      const items = makeItems('order', 4);
      await queue.enqueue(items);
      const received = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
      assert.equal(received.length, 4);
      const byId = new Map(received.map((item) => [item.id, item]));
      for (const index of [2, 0, 3, 1]) await queue.postpone(byId.get(`order-${index}`) as DeliveryItem, 1000);
      assert.deepEqual(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }), []);
      now += 1000;
      const back = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 });
      assert.deepEqual(back.map((item) => item.id), items.map((item) => item.id));
      assert.ok(back.every((item) => item.attempts === 0 && item.lastError === undefined));
    });
  });
});

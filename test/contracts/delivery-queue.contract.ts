/**
 * The DeliveryQueue port's contract, written once and run against every adapter (memory and SQLite here, SQS
 * later):
 *
 *   runDeliveryQueueContract('sqlite', async (options) => ({ queue, cleanup }));
 *
 * `create` must return an empty queue for each test, honouring `options.maxPending`; `cleanup` closes and releases
 * it (a test may have closed the queue already). The suite assumes nothing about storage or timing beyond the port: visibility may lag a resolved call, so it
 * polls with deadlines, and lease/delay values are a few hundred ms (an adapter may round them up, e.g. to SQS's
 * whole seconds: lower bounds are checked exactly, upper bounds only against generous deadlines). It asserts no
 * order among items.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  QueueFullError,
  type DeliveryItem,
  type DeliveryQueue,
  type NewDeliveryItem,
} from '../../lib/ports/delivery-queue.js';

export interface DeliveryQueueUnderTest {
  queue: DeliveryQueue;
  cleanup(): Promise<void>;
}

export interface DeliveryQueueContractOptions {
  /** Passed on to the adapter; the suite's default is large enough never to matter. */
  maxPending?: number;
}

/** How long the suite waits for something that should happen. */
const DEADLINE_MS = 5000;
/** Short leases and delays keep the suite fast; long ones keep items out of the way of a test. */
const SHORT_MS = 300;
const LONG_LEASE_MS = 60_000;
/** Timer and clock granularity allowed on lower bounds. */
const SLACK_MS = 25;

/** A valid item; ids are unique across runs, so an adapter on a shared remote queue cannot confuse tests. */
function makeItem(label: string, overrides: Partial<NewDeliveryItem> = {}): NewDeliveryItem {
  return {
    id: `${label}-${randomUUID()}`,
    space: 'space-a',
    subscriptionId: 'subscription-a',
    functionId: 'function-a',
    eventType: 'user.created',
    event: JSON.stringify({ eventType: 'user.created', eventID: label, data: { label } }),
    system: false,
    acceptedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function makeItems(label: string, count: number): NewDeliveryItem[] {
  return Array.from({ length: count }, (_, index) => makeItem(`${label}-${index}`));
}

/** What a freshly enqueued item looks like when received. */
function asReceived(item: NewDeliveryItem): DeliveryItem {
  return { ...item, attempts: 0 };
}

/** Receives (each with `leaseMs`) until every id in `ids` has arrived; fails on a duplicate or at the deadline. */
async function receiveAll(queue: DeliveryQueue, ids: readonly string[], leaseMs = LONG_LEASE_MS, max = 10) {
  const wanted = new Set(ids);
  const received = new Map<string, DeliveryItem>();
  const deadline = Date.now() + DEADLINE_MS;
  while (received.size < wanted.size) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `received ${received.size} of ${wanted.size} items before the deadline`);
    const batch = await queue.receive(max, { leaseMs, waitMs: Math.min(left, 1000) });
    assert.ok(batch.length <= max, `receive(${max}) returned ${batch.length} items`);
    for (const item of batch) {
      assert.ok(wanted.has(item.id), `received an unexpected item ${item.id}`);
      assert.ok(!received.has(item.id), `received ${item.id} twice while it was leased`);
      received.set(item.id, item);
    }
  }
  return received;
}

/** Receives until the item with `id` arrives; returns it and when it arrived (performance.now()). */
async function receiveOne(queue: DeliveryQueue, id: string, leaseMs = LONG_LEASE_MS) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `item ${id} did not arrive within ${DEADLINE_MS} ms`);
    const batch = await queue.receive(10, { leaseMs, waitMs: Math.min(left, 1000) });
    const found = batch.find((item) => item.id === id);
    if (found) return { item: found, at: performance.now() };
  }
}

/** Waits until `pending()` equals `expected`. */
async function pendingBecomes(queue: DeliveryQueue, expected: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let actual = await queue.pending();
  while (actual !== expected) {
    assert.ok(Date.now() < deadline, `pending() stayed ${actual}, expected ${expected}`);
    await sleep(20);
    actual = await queue.pending();
  }
}

/** Asserts that nothing is received during `forMs`. */
async function receivesNothing(queue: DeliveryQueue, forMs: number): Promise<void> {
  const batch = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: forMs });
  assert.deepEqual(
    batch.map((item) => item.id),
    [],
  );
}

export function runDeliveryQueueContract(
  adapterName: string,
  create: (options: DeliveryQueueContractOptions) => Promise<DeliveryQueueUnderTest>,
): void {
  describe(`DeliveryQueue contract [${adapterName}]`, () => {
    let subject: DeliveryQueueUnderTest | undefined;

    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    function test(
      name: string,
      body: (queue: DeliveryQueue) => Promise<void>,
      options: DeliveryQueueContractOptions = {},
    ): void {
      it(`[${adapterName}] ${name}`, async () => {
        subject = await create(options);
        await body(subject.queue);
      });
    }

    test('an enqueued item is received with attempts 0 and nothing else added', async (queue) => {
      const item = makeItem('plain');
      await queue.enqueue([item]);
      const received = await receiveAll(queue, [item.id]);
      assert.deepEqual(received.get(item.id), asReceived(item));
    });

    test('an item keeps every field exactly, optional and non-ASCII ones included', async (queue) => {
      // Required: a field added to NewDeliveryItem must get a value here, so an adapter that drops it fails.
      const full: Required<NewDeliveryItem> = {
        ...makeItem('full'),
        space: 'späce-ü',
        eventType: 'tëst.ünïcode',
        event: JSON.stringify({ data: { text: 'héllo 🌍 \u2028 "quoted" \\ back' } }),
        authorizerRequest: JSON.stringify({ headers: { authorization: ['Bearer x'] }, path: '/a' }),
        system: true,
        acceptedAt: 1_234_567_890_123,
      };
      const bare = makeItem('bare', { event: '' });
      await queue.enqueue([full, bare]);
      const received = await receiveAll(queue, [full.id, bare.id]);
      assert.deepEqual(received.get(full.id), asReceived(full));
      assert.deepEqual(received.get(bare.id), asReceived(bare));
    });

    test('enqueue of no items resolves and stores nothing', async (queue) => {
      await queue.enqueue([]);
      assert.equal(await queue.pending(), 0);
      await receivesNothing(queue, 100);
    });

    test('receive returns at most max items, and each item once while it is leased', async (queue) => {
      const items = makeItems('batch', 10);
      await queue.enqueue(items.slice(0, 3));
      await queue.enqueue(items.slice(3, 4));
      await queue.enqueue(items.slice(4));
      const received = await receiveAll(
        queue,
        items.map((item) => item.id),
        LONG_LEASE_MS,
        3,
      );
      for (const item of items) assert.deepEqual(received.get(item.id), asReceived(item));
      await receivesNothing(queue, 200);
    });

    test('concurrent enqueue calls all store their items', async (queue) => {
      const calls = Array.from({ length: 40 }, (_, call) => makeItems(`concurrent-${call}`, 3));
      await Promise.all(calls.map((items) => queue.enqueue(items)));
      await pendingBecomes(queue, 120);
      await receiveAll(
        queue,
        calls.flat().map((item) => item.id),
        LONG_LEASE_MS,
        50,
      );
    });

    test('many items of concurrent calls, handed out a few at a time, are each settled on their own', async (queue) => {
      // On SQS these share bundles (several items per message): acks and retries still act per item.
      const calls = Array.from({ length: 10 }, (_, call) => makeItems(`bundle-${call}`, 5));
      await Promise.all(calls.map((items) => queue.enqueue(items)));
      const all = calls.flat();
      const received = await receiveAll(
        queue,
        all.map((item) => item.id),
        LONG_LEASE_MS,
        4,
      );
      const retried = all.filter((_, index) => index % 5 === 0).map((item) => item.id);
      await Promise.all(
        all.map((item) => {
          const leased = received.get(item.id) as DeliveryItem;
          return retried.includes(item.id) ? queue.retry(leased, 0, { message: 'once more' }) : queue.ack(leased);
        }),
      );
      const back = await receiveAll(queue, retried, LONG_LEASE_MS, 3);
      for (const id of retried) assert.equal(back.get(id)?.attempts, 1);
      await Promise.all([...back.values()].map((item) => queue.ack(item)));
      await pendingBecomes(queue, 0);
      await receivesNothing(queue, 200);
    });

    test('items left unsettled come back after their lease, whatever the others received with them became', async (queue) => {
      const items = makeItems('neighbours', 5);
      await queue.enqueue(items);
      const first = await receiveAll(
        queue,
        items.map((item) => item.id),
        SHORT_MS,
      );
      const [acked, retried, ...left] = items.map((item) => first.get(item.id) as DeliveryItem);
      await queue.ack(acked as DeliveryItem);
      await queue.retry(retried as DeliveryItem, LONG_LEASE_MS, { message: 'later' });
      const back = await receiveAll(
        queue,
        left.map((item) => item.id),
      );
      for (const item of left) assert.deepEqual(back.get(item.id), asReceived(item));
      await pendingBecomes(queue, 4);
    });

    test('a leased item stays invisible until its lease ends, then comes back unchanged', async (queue) => {
      const item = makeItem('lease');
      await queue.enqueue([item]);
      const first = await receiveOne(queue, item.id, SHORT_MS);
      assert.deepEqual(first.item, asReceived(item));
      const again = await receiveOne(queue, item.id, LONG_LEASE_MS);
      assert.ok(
        again.at - first.at >= SHORT_MS - SLACK_MS,
        `came back ${Math.round(again.at - first.at)} ms after the receive, lease ${SHORT_MS} ms`,
      );
      // Not acked or retried: the worker crashed, so nothing counts as an attempt.
      assert.deepEqual(again.item, asReceived(item));
    });

    test('a waiting receive wakes up when a lease ends', async (queue) => {
      const item = makeItem('lease-wait');
      await queue.enqueue([item]);
      await receiveOne(queue, item.id, SHORT_MS);
      const started = performance.now();
      const batch = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: DEADLINE_MS });
      const elapsed = performance.now() - started;
      assert.deepEqual(
        batch.map((received) => received.id),
        [item.id],
      );
      assert.ok(elapsed < DEADLINE_MS - 1000, `the receive waited ${Math.round(elapsed)} ms`);
    });

    test('ack removes the item for good', async (queue) => {
      const acked = makeItem('acked');
      const kept = makeItem('kept');
      await queue.enqueue([acked, kept]);
      const received = await receiveAll(queue, [acked.id, kept.id], SHORT_MS);
      await queue.ack(received.get(acked.id) as DeliveryItem);
      await pendingBecomes(queue, 1);
      // Well past the lease: only the item that was not acked comes back.
      await sleep(SHORT_MS + 100);
      const back = await receiveOne(queue, kept.id);
      assert.equal(back.item.id, kept.id);
      await receivesNothing(queue, SHORT_MS);
      await pendingBecomes(queue, 1);
    });

    test('retry brings the item back after the delay with attempts, firstAttemptAt and lastError', async (queue) => {
      const item = makeItem('retry');
      await queue.enqueue([item]);
      const before = Date.now();
      const { item: received } = await receiveOne(queue, item.id);
      const retriedAt = performance.now();
      await queue.retry(received, SHORT_MS, { message: 'HTTP status code: 503', status: 503 });
      const after = Date.now();
      const { item: back, at } = await receiveOne(queue, item.id);
      assert.ok(at - retriedAt >= SHORT_MS - SLACK_MS, `came back after ${Math.round(at - retriedAt)} ms`);
      const { firstAttemptAt, ...rest } = back;
      assert.deepEqual(rest, { ...item, attempts: 1, lastError: { message: 'HTTP status code: 503', status: 503 } });
      assert.ok(
        typeof firstAttemptAt === 'number' && firstAttemptAt >= before - SLACK_MS && firstAttemptAt <= after + SLACK_MS,
        `firstAttemptAt ${firstAttemptAt} outside [${before}, ${after}]`,
      );
    });

    test('a second retry counts on, replaces lastError and keeps the first firstAttemptAt', async (queue) => {
      const item = makeItem('retry-twice');
      await queue.enqueue([item]);
      const first = await receiveOne(queue, item.id);
      await queue.retry(first.item, 0, { message: 'connect ECONNREFUSED', status: 502 });
      const second = await receiveOne(queue, item.id);
      assert.equal(second.item.attempts, 1);
      const firstAttemptAt = second.item.firstAttemptAt;
      assert.equal(typeof firstAttemptAt, 'number');
      await sleep(20);
      await queue.retry(second.item, 0, { message: 'timeout' });
      const third = await receiveOne(queue, item.id);
      assert.deepEqual(third.item, { ...item, attempts: 2, firstAttemptAt, lastError: { message: 'timeout' } });
    });

    test('a retried item is not received before its delay', async (queue) => {
      const item = makeItem('retry-delay');
      await queue.enqueue([item]);
      const { item: received } = await receiveOne(queue, item.id);
      await queue.retry(received, 2 * SHORT_MS, { message: 'later' });
      await receivesNothing(queue, SHORT_MS);
      const back = await receiveOne(queue, item.id);
      assert.equal(back.item.attempts, 1);
    });

    test('a waiting receive wakes up when a retried item falls due', async (queue) => {
      const item = makeItem('retry-wait');
      await queue.enqueue([item]);
      const { item: received } = await receiveOne(queue, item.id);
      await queue.retry(received, SHORT_MS, { message: 'soon' });
      const started = performance.now();
      const batch = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: DEADLINE_MS });
      const elapsed = performance.now() - started;
      assert.deepEqual(
        batch.map((back) => [back.id, back.attempts]),
        [[item.id, 1]],
      );
      assert.ok(elapsed < DEADLINE_MS - 1000, `the receive waited ${Math.round(elapsed)} ms`);
    });

    test('postpone brings the item back after the delay with its attempts, firstAttemptAt and lastError unchanged', async (queue) => {
      const item = makeItem('postpone');
      await queue.enqueue([item]);
      const first = await receiveOne(queue, item.id);
      await queue.retry(first.item, 0, { message: 'HTTP status code: 503', status: 503 });
      const retried = await receiveOne(queue, item.id);
      const postponedAt = performance.now();
      await queue.postpone(retried.item, SHORT_MS);
      const { item: back, at } = await receiveOne(queue, item.id);
      assert.ok(at - postponedAt >= SHORT_MS - SLACK_MS, `came back after ${Math.round(at - postponedAt)} ms`);
      assert.deepEqual(back, retried.item);
      assert.equal(back.attempts, 1);
    });

    test('a postponed fresh item comes back with attempts 0 and no firstAttemptAt, and stays pending', async (queue) => {
      const item = makeItem('postpone-fresh');
      await queue.enqueue([item]);
      const { item: received } = await receiveOne(queue, item.id);
      await queue.postpone(received, 2 * SHORT_MS);
      await pendingBecomes(queue, 1);
      await receivesNothing(queue, SHORT_MS);
      const back = await receiveOne(queue, item.id);
      assert.deepEqual(back.item, asReceived(item));
      await queue.ack(back.item);
      await pendingBecomes(queue, 0);
    });

    test('postponing many items of one receive leaves each settled on its own, none lost', async (queue) => {
      const items = makeItems('postpone-many', 12);
      await queue.enqueue(items);
      const received = await receiveAll(queue, items.map((item) => item.id), LONG_LEASE_MS, 12);
      const postponed = items.slice(0, 6).map((item) => item.id);
      await Promise.all(
        [...received.values()].map((leased) => (postponed.includes(leased.id) ? queue.postpone(leased, 0) : queue.ack(leased))),
      );
      const back = await receiveAll(queue, postponed);
      for (const item of back.values()) {
        assert.equal(item.attempts, 0);
        await queue.ack(item);
      }
      await pendingBecomes(queue, 0);
    });

    test('pending counts leased items and drops only on ack', async (queue) => {
      const items = makeItems('pending', 3);
      await queue.enqueue(items);
      await pendingBecomes(queue, 3);
      const received = await receiveAll(
        queue,
        items.map((item) => item.id),
      );
      await pendingBecomes(queue, 3);
      const [first, second] = items.map((item) => received.get(item.id) as DeliveryItem);
      await queue.retry(first as DeliveryItem, LONG_LEASE_MS, { message: 'kept' });
      await pendingBecomes(queue, 3);
      await queue.ack(second as DeliveryItem);
      await pendingBecomes(queue, 2);
    });

    test('receive waits for an item enqueued during the wait', async (queue) => {
      const item = makeItem('wait');
      const started = performance.now();
      const receiving = queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: DEADLINE_MS });
      await sleep(100);
      await queue.enqueue([item]);
      const batch = await receiving;
      const elapsed = performance.now() - started;
      assert.deepEqual(batch, [asReceived(item)]);
      assert.ok(elapsed < DEADLINE_MS - 1000, `the receive waited ${Math.round(elapsed)} ms`);
    });

    test('receive resolves with no items after waitMs when nothing is due', async (queue) => {
      const started = performance.now();
      assert.deepEqual(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: SHORT_MS }), []);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= SHORT_MS - SLACK_MS, `resolved after ${Math.round(elapsed)} ms`);
      assert.ok(elapsed < SHORT_MS + 2000, `resolved after ${Math.round(elapsed)} ms`);
    });

    test('receive with waitMs 0 returns at once', async (queue) => {
      const started = performance.now();
      assert.deepEqual(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }), []);
      assert.ok(performance.now() - started < 1000);
    });

    test('an abort ends a waiting receive with no items', async (queue) => {
      const controller = new AbortController();
      const started = performance.now();
      const receiving = queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: DEADLINE_MS, signal: controller.signal });
      await sleep(100);
      controller.abort();
      assert.deepEqual(await receiving, []);
      assert.ok(performance.now() - started < 2000, `resolved after ${Math.round(performance.now() - started)} ms`);
    });

    test('a receive with an already aborted signal returns no items and leases nothing', async (queue) => {
      const item = makeItem('aborted');
      await queue.enqueue([item]);
      await pendingBecomes(queue, 1);
      const started = performance.now();
      const batch = await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: DEADLINE_MS, signal: AbortSignal.abort() });
      assert.deepEqual(batch, []);
      assert.ok(performance.now() - started < 2000);
      await receiveOne(queue, item.id);
    });

    test(
      'enqueue beyond maxPending throws QueueFullError and stores nothing of that call',
      async (queue) => {
        const stored = makeItems('full-stored', 3);
        await queue.enqueue(stored);
        const refused = makeItems('full-refused', 3);
        await assert.rejects(queue.enqueue(refused), (error) => {
          assert.ok(error instanceof QueueFullError, `expected QueueFullError, got ${String(error)}`);
          assert.equal(error.pending, 3);
          assert.equal(error.limit, 5);
          assert.equal(error.message, 'delivery queue full: 3 pending items (limit 5)');
          return true;
        });
        await pendingBecomes(queue, 3);
        // Exactly at the limit is accepted.
        const fill = makeItems('full-fill', 2);
        await queue.enqueue(fill);
        await assert.rejects(queue.enqueue([makeItem('full-one-more')]), QueueFullError);
        const received = await receiveAll(queue, [...stored, ...fill].map((item) => item.id));
        await receivesNothing(queue, 100);
        // An ack makes room again.
        await queue.ack(received.get(stored[0]?.id ?? '') as DeliveryItem);
        await pendingBecomes(queue, 4);
        await queue.enqueue([makeItem('full-after-ack')]);
        await pendingBecomes(queue, 5);
      },
      { maxPending: 5 },
    );

    test('the ack of an earlier lease does not remove the item enqueued again under the same id', async (queue) => {
      const item = makeItem('again');
      await queue.enqueue([item]);
      const { item: stale } = await receiveOne(queue, item.id);
      const redriven = { ...item, event: JSON.stringify({ redriven: true }) };
      await queue.enqueue([redriven]);
      await queue.ack(stale);
      const { item: back } = await receiveOne(queue, item.id);
      assert.deepEqual(back, asReceived(redriven));
    });

    test('close ends a waiting receive with no items', async (queue) => {
      const started = performance.now();
      const receiving = queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: DEADLINE_MS });
      await sleep(100);
      await queue.close();
      assert.deepEqual(await receiving, []);
      assert.ok(performance.now() - started < 3000, `resolved after ${Math.round(performance.now() - started)} ms`);
    });
  });
}

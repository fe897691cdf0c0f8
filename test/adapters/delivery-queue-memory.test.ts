import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryItem } from '../../lib/ports/delivery-queue.js';
import { MemoryDeliveryQueue } from '../../lib/adapters/queue/memory/index.js';
import { runDeliveryQueueContract } from '../contracts/delivery-queue.contract.js';

runDeliveryQueueContract('memory', async (options) => {
  const queue = new MemoryDeliveryQueue(options);
  return {
    queue,
    async cleanup() {
      await queue.close();
    },
  };
});

describe('MemoryDeliveryQueue: postpone (docs/limits.md)', () => {
  it('[memory] items postponed to the same due time come back in their order of arrival', async () => {
    let now = 1_800_000_000_000;
    const queue = new MemoryDeliveryQueue({ now: () => now });
    const ids = ['a', 'b', 'c', 'd'];
    await queue.enqueue(ids.map((id) => ({
      id, space: 's', subscriptionId: 'sub', functionId: 'f', eventType: 'e', event: '{}', system: false, acceptedAt: now,
    })));
    const received = await queue.receive(10, { leaseMs: 60_000, waitMs: 0 });
    for (const id of ['c', 'a', 'd', 'b']) await queue.postpone(received.find((item) => item.id === id) as DeliveryItem, 500);
    assert.deepEqual(await queue.receive(10, { leaseMs: 60_000, waitMs: 0 }), []);
    now += 500;
    const back = await queue.receive(10, { leaseMs: 60_000, waitMs: 0 });
    assert.deepEqual(back.map((item) => item.id), ids);
    await queue.close();
  });
});

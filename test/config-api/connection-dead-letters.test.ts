import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqliteDeadLetterStore } from '../../lib/adapters/dead-letters/sqlite/index.js';
import { SqliteDeliveryQueue } from '../../lib/adapters/queue/sqlite/index.js';
import { openDatabase } from '../../lib/adapters/sqlite/index.js';
import { DeadLetterService } from '../../lib/config-api/index.js';
import { storedConnectionDeadLetters } from '../../lib/connectors/dead-letters.js';
import { connectionEvent, parseConnection } from '../../lib/core/connections/index.js';
import { BadRequestError } from '../../lib/core/errors/index.js';

describe('dead letters of connections in the dead-letter API', () => {
  const db = openDatabase({ filename: ':memory:' });
  const store = new SqliteDeadLetterStore(db);
  const queue = new SqliteDeliveryQueue(db);
  const service = new DeadLetterService(store, queue);
  after(async () => {
    await queue.close();
    await store.close();
    db.close();
  });

  const connection = parseConnection(
    JSON.stringify({ connectionId: 'orders-queue', eventType: 'order.placed', type: 'awssqs', source: { queueUrl: 'http://127.0.0.1:9/0/q', region: 'us-east-1' } }),
    { space: 'shop', newId: () => 'unused' },
  );
  const record = { eventId: 'msg-1', source: 'http://127.0.0.1:9/0/q', data: new TextEncoder().encode('{"n":1}') };

  it('shows connectionId on a refused record, and omits it on a delivery dead letter', async () => {
    await storedConnectionDeadLetters(store).put(connection, record, connectionEvent('order.placed', record, '0.1'), { message: 'too large', status: 413 });
    await store.put({
      item: { id: 'delivery-1', space: 'shop', subscriptionId: 's1', functionId: 'f1', eventType: 'order.placed', event: '{}', system: false, acceptedAt: 1 },
      attempts: 3, firstAttemptAt: 1, lastAttemptAt: 2, deadAt: 2, lastError: { message: 'boom', status: 500 },
    });
    const { deadLetters } = await service.list('shop', new URLSearchParams());
    const refused = deadLetters.find((d) => d.connectionId !== undefined);
    assert.equal(refused?.connectionId, 'orders-queue');
    assert.deepEqual(refused?.lastError, { message: 'connection orders-queue: too large', status: 413 });
    assert.deepEqual((refused?.event as { data: unknown }).data, { n: 1 });
    const delivery = deadLetters.find((d) => d.deadLetterId === 'delivery-1');
    assert.ok(delivery && !('connectionId' in delivery), 'no connectionId key on a delivery dead letter');
  });

  it('refuses to redrive a connection dead letter, and a redrive of many leaves it', async () => {
    const { deadLetters } = await service.list('shop', new URLSearchParams());
    const refused = deadLetters.find((d) => d.connectionId !== undefined)!;
    await assert.rejects(service.redriveOne('shop', refused.deadLetterId), (error: unknown) => {
      assert.ok(error instanceof BadRequestError);
      assert.match(error.message, /record of connection "orders-queue"/);
      return true;
    });
    assert.deepEqual(await service.redriveMatching('shop', ''), { redriven: 1 });
    const left = (await service.list('shop', new URLSearchParams())).deadLetters;
    assert.deepEqual(left.map((d) => d.deadLetterId), [refused.deadLetterId]);
  });
});

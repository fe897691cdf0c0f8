import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLimiter, ensureLimitsTable } from '../../lib/adapters/limiter/dynamodb/index.js';
import type { Admitted } from '../../lib/ports/delivery-limiter.js';
import { runDeliveryLimiterContract } from '../contracts/delivery-limiter.contract.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const client = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
/** DynamoDB Local is shared by the files running in parallel: every table of this run gets this prefix. */
const RUN = `eg-lim-${randomUUID().slice(0, 8)}`;
let tableCount = 0;
const tables: string[] = [];

async function createTable(): Promise<string> {
  const tableName = `${RUN}-${++tableCount}-limits`;
  await ensureLimitsTable(client, tableName);
  tables.push(tableName);
  return tableName;
}

after(async () => {
  for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  client.destroy();
});

runDeliveryLimiterContract('dynamodb', async (now) => {
  const limiter = new DynamoLimiter({ client, tableName: await createTable(), now });
  return { limiter, cleanup: () => limiter.close() };
});

describe('DynamoLimiter across processes (several limiters on one table)', () => {
  it('shares one bucket: three limiters together stay within the burst plus the rate', async () => {
    let time = 1_900_000_000_000;
    const now = () => time;
    const tableName = await createTable();
    const limiters = [0, 1, 2].map(() => new DynamoLimiter({ client, tableName, now }));
    let count = 0;
    for (let step = 0; step < 200; step++) {
      for (const limiter of limiters) {
        for (;;) {
          const admission = await limiter.acquire('s/shared', { perSecond: 50 });
          if (!admission.admitted) break;
          count += 1;
        }
      }
      time += 10;
    }
    // 2 s at 50/s with a burst of 5: at most 105; tokens dropped when unspent may lower it, not raise it.
    assert.ok(count <= 105, `admitted ${count}`);
    assert.ok(count >= 80, `admitted only ${count}`);
    const granted = limiters.reduce((sum, l) => sum + l.stats.tokensGranted, 0);
    const writes = limiters.reduce((sum, l) => sum + l.stats.writes + l.stats.failedWrites, 0);
    const reads = limiters.reduce((sum, l) => sum + l.stats.reads, 0);
    // Reserved ahead at most a second (the horizon) beyond the 2 s.
    assert.ok(granted <= 5 + 50 * 3, `the table granted ${granted}`);
    // Batches of up to 5 (a tenth of a second's worth).
    assert.ok(writes < count / 2, `${writes} writes (and ${reads} reads) for ${count} admissions: batches should cost far fewer`);
    await Promise.all(limiters.map((l) => l.close()));
  });

  it('shares one concurrency counter', async () => {
    const tableName = await createTable();
    const [a, b] = [new DynamoLimiter({ client, tableName }), new DynamoLimiter({ client, tableName })];
    const held: Admitted[] = [];
    for (const limiter of [a, b, a]) {
      const admission = await limiter.acquire('s/conc', { maxConcurrency: 3 });
      assert.equal(admission.admitted, true);
      held.push(admission as Admitted);
    }
    assert.equal((await b.acquire('s/conc', { maxConcurrency: 3 })).admitted, false);
    held[0]!.release();
    await a.settle();
    assert.equal((await b.acquire('s/conc', { maxConcurrency: 3 })).admitted, true);
    await Promise.all([a.close(), b.close()]);
  });

  it("a crashed process's slots come back once its lease lapses", async () => {
    let time = Date.now();
    const now = () => time;
    const tableName = await createTable();
    const crashed = new DynamoLimiter({ client, tableName, now, leaseMs: 5000 });
    const survivor = new DynamoLimiter({ client, tableName, now, leaseMs: 5000 });
    for (let i = 0; i < 2; i++) assert.equal((await crashed.acquire('s/lease', { maxConcurrency: 2 })).admitted, true);
    // The crashed process never releases nor renews (its timer is stopped by close without releasing).
    await crashed.close();
    const before = await survivor.acquire('s/lease', { maxConcurrency: 2 });
    assert.equal(before.admitted, false);
    time += 5001;
    const afterLapse = await survivor.acquire('s/lease', { maxConcurrency: 2 });
    assert.equal(afterLapse.admitted, true, JSON.stringify(afterLapse));
    await survivor.close();
  });

  it('rejects while DynamoDB cannot be reached (the caller holds the call back), asking nothing for unlimited functions', async () => {
    const unreachable = new DynamoDBClient({ ...awsClientConfig('http://127.0.0.1:9'), maxAttempts: 1 });
    const limiter = new DynamoLimiter({ client: unreachable, tableName: 'none' });
    await assert.rejects(limiter.acquire('s/down', { perSecond: 10 }));
    await assert.rejects(limiter.acquire('s/down', { maxConcurrency: 10 }));
    assert.equal((await limiter.acquire('s/down', {})).admitted, true, 'a function without limits never asks DynamoDB');
    await limiter.close();
    unreachable.destroy();
    await sleep(0);
  });
});

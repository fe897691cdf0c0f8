// Back-pressure over HTTP: a Kinesis poller emitting to a `target` (HttpSink) that answers 429 (queue full) waits and
// offers the same records again, checkpointing nothing meanwhile; a record answered 400 becomes a dead letter of the
// connection and the records after it in the shard still arrive. Against kinesalite and a real HTTP server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateStreamCommand, DescribeStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpSink } from '../../lib/connectors/index.js';
import { parseConnection } from '../../lib/core/connections/index.js';
import { connectorHarness, waitFor } from '../connectors/helpers.js';
import { Sink } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const kinesisEndpoint = requireEnv('EG_TEST_KINESIS_ENDPOINT');
process.env['AWS_ENDPOINT_URL_KINESIS'] = kinesisEndpoint;

describe('back-pressure: Kinesis poller → HTTP target answering 429, then 400 for one record [kinesalite]', () => {
  const kinesis = new KinesisClient({ ...awsClientConfig(kinesisEndpoint), requestHandler: new NodeHttpHandler() });
  const streamName = `eg-bp-${randomBytes(4).toString('hex')}`;
  let target: Sink;

  before(async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    await waitFor('the stream', async () => (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription?.StreamStatus === 'ACTIVE');
    target = await Sink.start();
  });
  after(async () => {
    kinesis.destroy();
    await target?.close();
  });

  it('waits out the 429s without checkpointing, never skips, and dead-letters the 400 without stalling the shard', async () => {
    const sequences: string[] = [];
    const bodies = ['{"n":0}', '{"n":1}', 'poison', '{"n":3}', '{"n":4}'];
    for (const body of bodies) {
      const out = await kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'one-shard', Data: Buffer.from(body) }));
      sequences.push(out.SequenceNumber!);
    }
    let full = true;
    const accepted: string[] = [];
    target.reply = (req) => {
      if (full) return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '0' }, body: '{"errors":[{"message":"queue full"}]}' };
      const data = (req.json as { data?: unknown }).data;
      if (data === 'poison') return { status: 400, body: '{"errors":[{"message":"event rejected"}]}' };
      accepted.push(JSON.stringify(data));
      return { status: 202, body: '' };
    };

    const h = connectorHarness(new HttpSink());
    const id = `bp-${randomBytes(4).toString('hex')}`;
    const c = parseConnection(
      JSON.stringify({ eventType: 'record.arrived', target: `${target.origin}/`, type: 'awskinesis', source: { streamName, region: 'us-east-1' } }),
      { space: 'default', connectionId: id, newId: () => id },
    );
    await h.manager.apply(c.space, c.connectionId, c);
    await waitFor('offers answered 429', () => target.received.length >= 15);
    assert.equal(await h.checkpoints.get('default', id, 'shardId-000000000000'), undefined, 'nothing checkpointed while the gateway is full');
    assert.equal(h.deadLetters.records.length, 0, 'a 429 never makes a dead letter');

    full = false;
    await waitFor('the checkpoint at the last record', async () => (await h.checkpoints.get('default', id, 'shardId-000000000000')) === sequences.at(-1));
    await h.manager.stop();

    const offeredIds = new Set(target.received.map((r) => (r.json as { eventID?: string }).eventID));
    for (const sequence of sequences) assert.ok(offeredIds.has(`shardId-000000000000:${sequence}`), `record ${sequence} was offered`);
    assert.equal(h.deadLetters.records.length, 1);
    const dead = h.deadLetters.records[0]!;
    assert.equal(dead.connectionId, id);
    assert.equal(dead.status, 400);
    assert.equal((dead.event as { eventID?: string }).eventID, `shardId-000000000000:${sequences[2]}`);
    assert.deepEqual(accepted.sort(), ['{"n":0}', '{"n":1}', '{"n":3}', '{"n":4}'], 'every record the gateway refused with 429 is accepted later, once');
    const text = await h.registry.metrics();
    const labels = `space="default",connectionID="${id}"`;
    assert.match(text, new RegExp(`^eventgateway_connector_processed_total\\{${labels}\\} 4$`, 'm'));
    assert.match(text, new RegExp(`^eventgateway_connector_dead_letters_total\\{${labels}\\} 1$`, 'm'));
    const refused = target.received.length - 5;
    assert.match(text, new RegExp(`^eventgateway_connector_errors_total\\{${labels},reason="gateway"\\} ${refused}$`, 'm'), 'each 429 counts as a gateway error');
  });
});

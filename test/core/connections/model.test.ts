import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connectionEvent,
  connectionItemId,
  connectionJson,
  maskUrlPassword,
  mergeConnectionSecrets,
  parseConnection,
  startingPositionOf,
  type Connection,
} from '../../../lib/core/connections/index.js';
import { BadRequestError } from '../../../lib/core/errors/index.js';

const parse = (body: unknown, connectionId?: string): Connection =>
  parseConnection(JSON.stringify(body), { space: 'default', newId: () => 'generated-id', ...(connectionId ? { connectionId } : {}) });

function rejects(body: unknown, pattern: RegExp): void {
  assert.throws(() => parse(body), (error: unknown) => {
    assert.ok(error instanceof BadRequestError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

const kinesis = { eventType: 'user.created', type: 'awskinesis', source: { streamName: 'users', region: 'us-east-1' } };

describe('parseConnection', () => {
  it('gives a new connection a generated id and keeps the source exactly as given', () => {
    const c = parse({ target: 'http://localhost:4000/', ...kinesis });
    assert.deepEqual(c, {
      space: 'default',
      connectionId: 'generated-id',
      target: 'http://localhost:4000/',
      eventType: 'user.created',
      type: 'awskinesis',
      source: { streamName: 'users', region: 'us-east-1' },
    });
    assert.equal(startingPositionOf(c), 'TRIM_HORIZON', 'the default is applied when reading, not stored');
  });

  it('takes the id from the URL on update, and from the body on create when given', () => {
    assert.equal(parse({ ...kinesis, connectionId: 'from-body' }, 'from-url').connectionId, 'from-url');
    assert.equal(parse({ ...kinesis, connectionId: 'from-body' }).connectionId, 'from-body');
  });

  it('names the supported types when the type is unknown or missing', () => {
    rejects({ ...kinesis, type: 'kafka' }, /source type "kafka" is not supported .*Supported source types: awskinesis, awssqs, awsdynamodbstreams, amqp\./);
    rejects({ ...kinesis, type: 'nats' }, /"nats" is not supported\. Supported source types: awskinesis, awssqs, awsdynamodbstreams, amqp/);
    rejects({ eventType: 'a', source: {} }, /"type" is required\. Supported source types: awskinesis/);
  });

  it('says which source fields are missing, unknown or of the wrong type', () => {
    rejects({ ...kinesis, source: { region: 'us-east-1' } }, /a awskinesis source needs "streamName"/);
    rejects({ ...kinesis, source: { streamName: 's', region: 'r', shard: 'x' } }, /has no field "shard"/);
    rejects({ ...kinesis, source: { streamName: 1, region: 'r' } }, /"source.streamName" must be a string/);
    rejects({ ...kinesis, source: undefined }, /"source" is required/);
    rejects({ type: 'awssqs', eventType: 'e', source: { queueUrl: 'not a url', region: 'r' } }, /queueUrl" must be an http\(s\) URL/);
    rejects({ type: 'amqp', eventType: 'e', source: { url: 'http://x', queueName: 'q' } }, /amqp:\/\/ or amqps:\/\//);
    rejects({ type: 'awsdynamodbstreams', eventType: 'e', source: { streamArn: 'table', region: 'r' } }, /stream ARN/);
  });

  it('accepts TRIM_HORIZON and LATEST only, and only for stream sources', () => {
    assert.equal(startingPositionOf(parse({ ...kinesis, source: { ...kinesis.source, startingPosition: 'LATEST' } })), 'LATEST');
    rejects({ ...kinesis, source: { ...kinesis.source, startingPosition: 'AT_TIMESTAMP' } }, /"TRIM_HORIZON" or "LATEST"/);
    rejects({ type: 'awssqs', eventType: 'e', source: { queueUrl: 'http://q/1/a', region: 'r', startingPosition: 'LATEST' } }, /has no field "startingPosition"/);
  });

  it('rejects a bad event type, target, metadata or body', () => {
    rejects({ ...kinesis, eventType: '' }, /"eventType" is required/);
    rejects({ ...kinesis, eventType: 'a b' }, /"eventType" may only contain/);
    rejects({ ...kinesis, target: 'ftp://x' }, /"target" must be empty or the http\(s\) URL/);
    rejects({ ...kinesis, metadata: { a: 1 } }, /"metadata.a" must be a string/);
    assert.throws(() => parseConnection('[1]', { space: 'default', newId: () => 'x' }), /must be a JSON object/);
    assert.throws(() => parseConnection('{', { space: 'default', newId: () => 'x' }), /not valid JSON/);
    assert.throws(() => parseConnection(JSON.stringify(kinesis), { space: 'ab', newId: () => 'x' }), /"space" must be at least 3/);
  });
});

describe('connectionJson and mergeConnectionSecrets', () => {
  const secret = parse({
    ...kinesis,
    metadata: { service: 'svc', stage: 'dev' },
    source: { streamName: 's', region: 'r', awsAccessKeyId: 'AKIA', awsSecretAccessKey: 'sekret', awsSessionToken: 'tok' },
  });

  it('shows secrets as ******** and every other field as given; target is omitted when not given', () => {
    assert.deepEqual(connectionJson(secret), {
      space: 'default',
      connectionId: 'generated-id',
      eventType: 'user.created',
      type: 'awskinesis',
      source: { streamName: 's', region: 'r', awsAccessKeyId: 'AKIA', awsSecretAccessKey: '********', awsSessionToken: '********' },
      metadata: { service: 'svc', stage: 'dev' },
    });
    assert.equal(JSON.stringify(Object.keys(connectionJson(parse({ target: '', ...kinesis })))), '["space","connectionId","target","eventType","type","source"]');
  });

  it('masks the password of an AMQP URL and keeps the stored one when the marker comes back', () => {
    const amqp = parse({ type: 'amqp', eventType: 'e', source: { url: 'amqp://guest:pw@localhost:5672/vh', queueName: 'q' } });
    const shown = connectionJson(amqp);
    assert.equal((shown.source as { url: string }).url, 'amqp://guest:********@localhost:5672/vh');
    assert.equal(maskUrlPassword('amqp://localhost'), 'amqp://localhost');
    const merged = mergeConnectionSecrets(parse(shown), amqp);
    assert.equal((merged.source as { url: string }).url, 'amqp://guest:pw@localhost:5672/vh');
  });

  it('keeps stored AWS secrets sent back as the marker, and refuses a marker with nothing stored', () => {
    const back = parse(connectionJson(secret));
    assert.deepEqual(mergeConnectionSecrets(back, secret).source, secret.source);
    assert.throws(() => mergeConnectionSecrets(back, undefined), /no stored secret to keep/);
  });
});

describe('connectionEvent', () => {
  const record = { eventId: 'shardId-0:42', source: 'arn:aws:kinesis:us-east-1:000000000000:stream/users', data: Buffer.from('{"a":1}') };
  const at = () => new Date('2026-12-04T10:00:00.000Z');

  it('makes a 0.1 event whose data is the parsed JSON and whose id is the record position', () => {
    assert.deepEqual(connectionEvent('user.created', record, '0.1', at), {
      eventType: 'user.created',
      cloudEventsVersion: '0.1',
      source: record.source,
      eventID: 'shardId-0:42',
      eventTime: '2026-12-04T10:00:00.000Z',
      contentType: 'application/json',
      data: { a: 1 },
    });
  });

  it('makes a 1.0 event; text stays a string and other bytes are base64', () => {
    const text = connectionEvent('t', { ...record, data: Buffer.from('hello') }, '1.0', at);
    assert.equal(text['datacontenttype' as keyof typeof text], 'text/plain');
    assert.equal((text as { data?: unknown }).data, 'hello');
    const binary = connectionEvent('t', { ...record, data: Buffer.from([0xff, 0xfe]) }, '1.0', at) as Record<string, unknown>;
    assert.equal(binary['data_base64'], '//4=');
    assert.equal(binary['datacontenttype'], 'application/octet-stream');
  });

  it('derives the same item id for the same record and subscription, and another for another', () => {
    const id = connectionItemId('default', 'c1', 'shardId-0:42', 'sub');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(connectionItemId('default', 'c1', 'shardId-0:42', 'sub'), id);
    assert.notEqual(connectionItemId('default', 'c1', 'shardId-0:43', 'sub'), id);
  });
});

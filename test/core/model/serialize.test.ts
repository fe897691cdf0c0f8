import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError } from '../../../lib/core/errors/index.js';
import {
  mergeSecrets,
  parseCors,
  parseEventType,
  parseFunction,
  parseSubscription,
  SECRET_MARKER,
  toJson,
  type FunctionConfig,
} from '../../../lib/core/model/index.js';

const space = { space: 'default' };
const fn = (value: unknown, functionId?: string): FunctionConfig =>
  parseFunction(JSON.stringify(value), functionId === undefined ? space : { ...space, functionId });

describe('toJson (docs/compatibility.md#config-api, #secrets)', () => {
  it('stores the async subscription of item 30 byte for byte', () => {
    const sub = parseSubscription('{"type":"async","eventType":"user.created","functionId":"func","path":"/","method":"GET"}', space);
    assert.equal(
      JSON.stringify(toJson('subscription', sub)),
      '{"space":"default","subscriptionId":"YXN5bmMsdXNlci5jcmVhdGVkLGZ1bmMsJTJGLEdFVA","type":"async","eventType":"user.created","functionId":"func","path":"/","method":"GET"}',
    );
  });

  it('stores the http function of item 35 byte for byte', () => {
    const stored = fn({ functionId: 'testid', type: 'http', provider: { url: 'http://example.com' } });
    assert.equal(
      JSON.stringify(toJson('function', stored)),
      '{"space":"default","functionId":"testid","type":"http","provider":{"url":"http://example.com"}}',
    );
  });

  it('writes event types in spec order and omits an empty authorizer and empty metadata', () => {
    assert.equal(JSON.stringify(toJson('eventtype', { metadata: { b: '1' }, authorizerId: 'auth', name: 'n', space: 's' })),
      '{"space":"s","name":"n","authorizerId":"auth","metadata":{"b":"1"}}');
    assert.equal(JSON.stringify(toJson('eventtype', { space: 's', name: 'n', authorizerId: '', metadata: {} })), '{"space":"s","name":"n"}');
    assert.equal(JSON.stringify(toJson('eventtype', parseEventType('{"name":"test.event"}', space))), '{"space":"default","name":"test.event"}');
  });

  it('always writes allowCredentials on CORS configurations (item 32)', () => {
    const cors = parseCors('{"method":"GET","path":"/hello"}', space);
    assert.equal(
      JSON.stringify(toJson('cors', cors)),
      '{"space":"default","corsId":"GET%2Fhello","method":"GET","path":"/hello","allowedOrigins":["*"],"allowedMethods":["HEAD","GET","POST"],' +
        '"allowedHeaders":["Origin","Accept","Content-Type"],"allowCredentials":false}',
    );
    const withMetadata = toJson('cors', { ...cors, allowCredentials: true, metadata: { k: 'v' } });
    assert.deepEqual(Object.keys(withMetadata).slice(-2), ['allowCredentials', 'metadata']);
  });

  it('writes subscription extensions after metadata and only when set', () => {
    const sub = parseSubscription(
      '{"type":"async","eventType":"e","functionId":"f","timeoutMs":100,"retry":{"maxDelayMs":5,"maxAttempts":2},"metadata":{"a":"b"}}',
      space,
    );
    assert.equal(
      JSON.stringify(toJson('subscription', sub)),
      `{"space":"default","subscriptionId":"${sub.subscriptionId}","type":"async","eventType":"e","functionId":"f","path":"/","method":"POST",` +
        '"metadata":{"a":"b"},"retry":{"maxAttempts":2,"maxDelayMs":5},"timeoutMs":100}',
    );
    assert.equal('retry' in toJson('subscription', { ...sub, retry: {}, metadata: {} }), false);
    const filtered = parseSubscription('{"type":"async","eventType":"e","functionId":"f","filter":{"data":{"a":["x"]}},"timeoutMs":100}', space);
    assert.equal(
      JSON.stringify(toJson('subscription', filtered)),
      `{"space":"default","subscriptionId":"${filtered.subscriptionId}","type":"async","eventType":"e","functionId":"f","path":"/","method":"POST",` +
        '"timeoutMs":100,"filter":{"data":{"a":["x"]}}}',
    );
    assert.equal('filter' in toJson('subscription', sub), false);
  });

  it('masks AWS secrets but shows the access key id', () => {
    const lambda = fn({
      functionId: 'f',
      type: 'awslambda',
      provider: { arn: 'arn', region: 'r', awsAccessKeyId: 'AKIA', awsSecretAccessKey: 'secret', awsSessionToken: 'token' },
      metadata: { team: 'x' },
    });
    assert.equal(
      JSON.stringify(toJson('function', lambda)),
      '{"space":"default","functionId":"f","type":"awslambda","provider":{"arn":"arn","region":"r","awsAccessKeyId":"AKIA",' +
        '"awsSecretAccessKey":"********","awsSessionToken":"********"},"metadata":{"team":"x"}}',
    );
    assert.equal((lambda.provider as { awsSecretAccessKey?: string }).awsSecretAccessKey, 'secret', 'the item itself is left untouched');
  });

  it('masks http header values and the signing secret', () => {
    const http = fn({
      functionId: 'f',
      type: 'http',
      provider: { url: 'https://x', headers: { 'X-Api-Key': 'k', Authorization: 'Bearer t' }, signingSecret: 'whsec_AAAA' },
    });
    assert.deepEqual(toJson('function', http).provider, {
      url: 'https://x',
      headers: { 'X-Api-Key': SECRET_MARKER, Authorization: SECRET_MARKER },
      signingSecret: SECRET_MARKER,
    });
    assert.equal(SECRET_MARKER, '********');
  });
});

describe('mergeSecrets (docs/compatibility.md#deliberate-differences)', () => {
  const storedLambda = fn({
    functionId: 'f',
    type: 'awslambda',
    provider: { arn: 'arn', region: 'r', awsAccessKeyId: 'AKIA', awsSecretAccessKey: 'secret', awsSessionToken: 'token' },
  });

  it('keeps stored secrets where the marker is sent back', () => {
    const incoming = fn({ functionId: 'f', type: 'awslambda', provider: { ...toJson('function', storedLambda).provider, region: 'r2' } });
    assert.deepEqual(mergeSecrets(incoming, storedLambda).provider, {
      arn: 'arn', region: 'r2', awsAccessKeyId: 'AKIA', awsSecretAccessKey: 'secret', awsSessionToken: 'token',
    });
  });

  it('takes new secrets as sent and carries credentials across AWS types', () => {
    const rotated = fn({ functionId: 'f', type: 'awslambda', provider: { arn: 'arn', region: 'r', awsSecretAccessKey: 'new' } });
    assert.equal((mergeSecrets(rotated, storedLambda).provider as { awsSecretAccessKey?: string }).awsSecretAccessKey, 'new');
    const sqs = fn({ functionId: 'f', type: 'awssqs', provider: { queueUrl: 'q', region: 'r', awsAccessKeyId: 'AKIA', awsSecretAccessKey: SECRET_MARKER } });
    assert.deepEqual(mergeSecrets(sqs, storedLambda).provider, { queueUrl: 'q', region: 'r', awsAccessKeyId: 'AKIA', awsSecretAccessKey: 'secret' });
  });

  it('keeps http header values by name, case-insensitively, and the signing secret', () => {
    const stored = fn({ functionId: 'f', type: 'http', provider: { url: 'https://x', headers: { 'X-Api-Key': 'k' }, signingSecret: 'whsec_AAAA' } });
    const incoming = fn({
      functionId: 'f',
      type: 'http',
      provider: { url: 'https://y', headers: { 'x-api-key': SECRET_MARKER, 'X-New': 'n' }, signingSecret: SECRET_MARKER },
    });
    assert.deepEqual(mergeSecrets(incoming, stored).provider, {
      url: 'https://y', headers: { 'x-api-key': 'k', 'X-New': 'n' }, signingSecret: 'whsec_AAAA',
    });
  });

  it('leaves a function without markers unchanged, stored or not', () => {
    const incoming = fn({ functionId: 'f', type: 'http', provider: { url: 'https://x', headers: { a: 'b' } } });
    assert.deepEqual(mergeSecrets(incoming, undefined), incoming);
    assert.deepEqual(mergeSecrets(incoming, storedLambda), incoming);
  });

  it('refuses a marker with no stored secret to keep', () => {
    const secretTag = (ns: string) =>
      `Function doesn't validate. Validation error: Key: '${ns}' Error:Field validation for '${ns.slice(ns.indexOf('.') + 1)}' failed on the 'secret' tag`;
    const refuses = (incoming: FunctionConfig, stored: FunctionConfig | undefined, ns: string) =>
      assert.throws(() => mergeSecrets(incoming, stored), (error: unknown) => {
        assert.ok(error instanceof BadRequestError);
        assert.equal(error.message, secretTag(ns));
        return true;
      });
    const marked = fn({ functionId: 'f', type: 'awslambda', provider: { arn: 'a', region: 'r', awsSessionToken: SECRET_MARKER } });
    refuses(marked, undefined, 'AWSLambda.AWSSessionToken');
    refuses(marked, fn({ functionId: 'f', type: 'awslambda', provider: { arn: 'a', region: 'r' } }), 'AWSLambda.AWSSessionToken');
    refuses(marked, fn({ functionId: 'f', type: 'http', provider: { url: 'http://x' } }), 'AWSLambda.AWSSessionToken');
    const header = fn({ functionId: 'f', type: 'http', provider: { url: 'http://x', headers: { 'X-Key': SECRET_MARKER } } });
    refuses(header, undefined, 'HTTP.Headers[X-Key]');
    refuses(fn({ functionId: 'f', type: 'http', provider: { url: 'http://x', signingSecret: SECRET_MARKER } }), storedLambda, 'HTTP.SigningSecret');
  });
});

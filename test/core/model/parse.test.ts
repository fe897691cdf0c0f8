import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError } from '../../../lib/core/errors/index.js';
import { FilterValidationError } from '../../../lib/core/filter/index.js';
import {
  BodyDecodeError,
  isGoUrl,
  parseCors,
  parseEventType,
  parseFunction,
  parseSubscription,
  SECRET_MARKER,
} from '../../../lib/core/model/index.js';

const ET = "Event Type doesn't validate. Validation error: ";
const FN = "Function doesn't validate. Validation error: ";
const SUB = "Subscription doesn't validate. Validation error: ";
const CORS = "CORS configuration doesn't validate. Validation error: ";
const METHOD_TAG = 'eq=GET|eq=POST|eq=DELETE|eq=PUT|eq=PATCH|eq=HEAD|eq=OPTIONS';

const line = (ns: string, tag: string) => {
  const field = ns.slice(ns.lastIndexOf('.') + 1);
  return `Key: '${ns}' Error:Field validation for '${field}' failed on the '${tag}' tag`;
};

function rejects(run: () => unknown, message: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof BadRequestError, `expected BadRequestError, got ${String(error)}`);
    assert.equal(error.statusCode, 400);
    assert.equal(error.message, message);
    return true;
  });
}

const body = (value: unknown) => JSON.stringify(value);
const long = 'a'.repeat(257);

describe('parseEventType (docs/compatibility.md#event-types)', () => {
  it('takes the space from the URL and ignores the body space (item 19)', () => {
    assert.deepEqual(parseEventType(body({ name: 'test.event', space: 'test1' }), { space: 'default' }), {
      space: 'default',
      name: 'test.event',
    });
  });

  it('reports decoder errors with the Event Type prefix (items 19, 20)', () => {
    rejects(() => parseEventType('{', { space: 'default' }), `${ET}unexpected EOF`);
    rejects(() => parseEventType('', { space: 'default' }), `${ET}EOF`);
    rejects(() => parseEventType('[]', { space: 'default' }), `${ET}json: cannot unmarshal array into Go value of type event.Type`);
    rejects(() => parseEventType('{"name":1}', { space: 'default' }),
      `${ET}json: cannot unmarshal number into Go struct field Type.name of type event.TypeName`);
    rejects(() => parseEventType('{"space":1,"name":"a"}', { space: 'default' }),
      `${ET}json: cannot unmarshal number into Go struct field Type.space of type string`);
    rejects(() => parseEventType('{"name":"a","authorizerId":5}', { space: 'default' }),
      `${ET}json: cannot unmarshal number into Go struct field Type.authorizerId of type function.ID`);
  });

  it('requires a name (item 33)', () => {
    rejects(() => parseEventType('{}', { space: 'default' }), `${ET}${line('Type.Name', 'required')}`);
    rejects(() => parseEventType('null', { space: 'default' }), `${ET}${line('Type.Name', 'required')}`);
  });

  it('uses the URL name on update, whatever the body says', () => {
    assert.deepEqual(parseEventType(body({ name: 'other' }), { space: 'default', name: 'test.event' }), {
      space: 'default',
      name: 'test.event',
    });
    assert.deepEqual(parseEventType('{}', { space: 'default', name: 'test.event' }).name, 'test.event');
  });

  it('keeps an empty authorizerId as present and drops a null one', () => {
    assert.deepEqual(parseEventType(body({ name: 'a', authorizerId: '' }), { space: 'default' }), { space: 'default', name: 'a', authorizerId: '' });
    assert.deepEqual(parseEventType(body({ name: 'a', authorizerId: null }), { space: 'default' }), { space: 'default', name: 'a' });
    assert.deepEqual(parseEventType(body({ name: 'a', AUTHORIZERID: 'auth' }), { space: 'default' }), {
      space: 'default', name: 'a', authorizerId: 'auth',
    });
  });

  it('keeps string metadata, drops empty metadata and refuses other values', () => {
    assert.deepEqual(parseEventType(body({ name: 'a', metadata: { k: 'v' } }), { space: 'default' }).metadata, { k: 'v' });
    assert.equal('metadata' in parseEventType(body({ name: 'a', metadata: {} }), { space: 'default' }), false);
    rejects(() => parseEventType(body({ name: 'a', metadata: { k: 1 } }), { space: 'default' }),
      `${ET}json: cannot unmarshal number into Go struct field Type.metadata of type string`);
    rejects(() => parseEventType(body({ name: 'a', metadata: 'k' }), { space: 'default' }),
      `${ET}json: cannot unmarshal string into Go struct field Type.metadata of type metadata.Metadata`);
  });

  it('checks the space: required, at least 3 characters, the charset, at most 256', () => {
    rejects(() => parseEventType(body({ name: 'a' }), { space: '' }), `${ET}${line('Type.Space', 'required')}`);
    rejects(() => parseEventType(body({ name: 'a' }), { space: 'ab' }), `${ET}${line('Type.Space', 'min')}`);
    rejects(() => parseEventType(body({ name: 'a' }), { space: 'a b' }), `${ET}${line('Type.Space', 'space')}`);
    rejects(() => parseEventType(body({ name: 'a' }), { space: 'dé%' }), `${ET}${line('Type.Space', 'space')}`);
    rejects(() => parseEventType(body({ name: 'a' }), { space: long }), `${ET}${line('Type.Space', 'max')}`);
    rejects(() => parseEventType('{}', { space: 'ab' }), `${ET}${line('Type.Space', 'min')}\n${line('Type.Name', 'required')}`);
    assert.equal(parseEventType(body({ name: 'a' }), { space: 'a.b-c_D9' }).space, 'a.b-c_D9');
  });

  it('limits names and authorizer ids to 256 characters', () => {
    assert.equal(parseEventType(body({ name: 'é'.repeat(256) }), { space: 'default' }).name, 'é'.repeat(256));
    rejects(() => parseEventType(body({ name: long }), { space: 'default' }), `${ET}${line('Type.Name', 'max')}`);
    rejects(() => parseEventType(body({ name: 'a', authorizerId: long }), { space: 'default' }), `${ET}${line('Type.AuthorizerID', 'max')}`);
  });
});

describe('parseFunction (docs/compatibility.md#functions, #function-types)', () => {
  const space = { space: 'default' };

  it('parses the http function of item 23', () => {
    assert.deepEqual(
      parseFunction(body({ functionId: 'func1', space: 'test1', type: 'http', provider: { url: 'http://example.com' } }), { space: 'test1' }),
      { space: 'test1', functionId: 'func1', type: 'http', provider: { url: 'http://example.com' } },
    );
  });

  it('reports decoder errors with the Function prefix and the functionJSON struct name', () => {
    rejects(() => parseFunction('{', space), `${FN}unexpected EOF`);
    rejects(() => parseFunction(' ', space), `${FN}EOF`);
    rejects(() => parseFunction('[1]', space), `${FN}json: cannot unmarshal array into Go value of type function.functionJSON`);
    rejects(() => parseFunction('"x"', space), `${FN}json: cannot unmarshal string into Go value of type function.functionJSON`);
    rejects(() => parseFunction('{"functionId":1,"type":"http","provider":{"url":"http://a"}}', space),
      `${FN}json: cannot unmarshal number into Go struct field functionJSON.functionId of type function.ID`);
    rejects(() => parseFunction('{"type":7}', space),
      `${FN}json: cannot unmarshal number into Go struct field functionJSON.type of type function.ProviderType`);
    rejects(() => parseFunction('{"functionId":"f","type":"http","provider":{"url":"http://a"},"metadata":{"a":true}}', space),
      `${FN}json: cannot unmarshal bool into Go struct field functionJSON.metadata of type string`);
  });

  it('needs a provider type and a provider (item 34, Q3)', () => {
    rejects(() => parseFunction(body({ space: 'default', functionId: 'f' }), space), `${FN}provider configuration not set`);
    rejects(() => parseFunction('null', space), `${FN}provider configuration not set`);
    rejects(() => parseFunction(body({ functionId: 'f', type: '', provider: { url: 'http://a' } }), space), `${FN}provider configuration not set`);
    rejects(() => parseFunction(body({ functionId: 'f', type: 'http' }), space), `${FN}provider configuration not set`);
    rejects(() => parseFunction(body({ functionId: 'f', type: 'awslambda', provider: null }), space), `${FN}provider configuration not set`);
  });

  it('refuses unknown provider types by name, before looking at the provider', () => {
    rejects(() => parseFunction(body({ functionId: 'f', type: 'gcloud' }), space), `${FN}provider gcloud not supported`);
    rejects(() => parseFunction(body({ functionId: 'f', type: 'HTTP', provider: { url: 'http://a' } }), space), `${FN}provider HTTP not supported`);
    rejects(() => parseFunction(body({ functionId: 'f', type: 'weighted', provider: {} }), space), `${FN}provider weighted not supported`);
  });

  it('reports a provider that does not decode', () => {
    const load = (type: string, provider: unknown) => () => parseFunction(body({ functionId: 'f', type, provider }), space);
    const prefix = `${FN}unable to load function provider config: json: cannot unmarshal`;
    rejects(load('http', 'x'), `${prefix} string into Go value of type http.HTTP`);
    rejects(load('http', { url: 5 }), `${prefix} number into Go struct field HTTP.url of type string`);
    rejects(load('http', { url: 'http://a', headers: { a: 1 } }), `${prefix} number into Go struct field HTTP.headers of type string`);
    rejects(load('awslambda', []), `${prefix} array into Go value of type awslambda.AWSLambda`);
    rejects(load('awslambda', { arn: 'a', region: true }), `${prefix} bool into Go struct field AWSLambda.region of type string`);
    rejects(load('awskinesis', 1), `${prefix} number into Go value of type awskinesis.AWSKinesis`);
    rejects(load('awsfirehose', { awsSecretAccessKey: {} }), `${prefix} object into Go struct field AWSFirehose.awsSecretAccessKey of type string`);
    rejects(load('awssqs', true), `${prefix} bool into Go value of type awssqs.AWSSQS`);
  });

  it('requires each type\'s provider fields (item 34)', () => {
    const missing = (type: string, provider: unknown, label: string) =>
      rejects(() => parseFunction(body({ functionId: 'f', type, provider }), space), `${FN}missing required fields for ${label}`);
    missing('http', { url: '' }, 'HTTP endpoint');
    missing('http', {}, 'HTTP endpoint');
    missing('http', { url: 'example.com' }, 'HTTP endpoint');
    missing('awslambda', { arn: '', region: 'us-east-1' }, 'AWS Lambda function');
    missing('awslambda', { arn: 'arn:aws:lambda:us-east-1:1:function:f' }, 'AWS Lambda function');
    missing('awskinesis', { streamName: 's', region: '' }, 'AWS Kinesis function');
    missing('awsfirehose', { deliveryStreamName: '', region: 'r' }, 'AWS Firehose function');
    missing('awssqs', { region: 'r' }, 'AWS SQS function');
  });

  it('orders provider keys as the Go structs do and drops empty credentials', () => {
    const lambda = parseFunction(
      body({
        functionId: 'f',
        type: 'awslambda',
        provider: { awsSessionToken: 'tok', region: 'us-east-1', awsSecretAccessKey: 'secret', arn: 'arn', awsAccessKeyId: 'AKIA', extra: 1 },
      }),
      space,
    );
    assert.deepEqual(Object.entries(lambda.provider), [
      ['arn', 'arn'], ['region', 'us-east-1'], ['awsAccessKeyId', 'AKIA'], ['awsSecretAccessKey', 'secret'], ['awsSessionToken', 'tok'],
    ]);
    const sqs = parseFunction(
      body({ functionId: 'f', type: 'awssqs', provider: { region: 'r', queueUrl: 'q', awsAccessKeyId: '', awsSecretAccessKey: 'x', awsSessionToken: null } }),
      space,
    );
    assert.deepEqual(Object.entries(sqs.provider), [['queueUrl', 'q'], ['region', 'r'], ['awsSecretAccessKey', 'x']]);
    assert.deepEqual(parseFunction(body({ functionId: 'f', type: 'awskinesis', provider: { streamName: 's', region: 'r' } }), space).provider,
      { streamName: 's', region: 'r' });
    assert.deepEqual(parseFunction(body({ functionId: 'f', type: 'awsfirehose', provider: { deliveryStreamName: 'd', region: 'r' } }), space).provider,
      { deliveryStreamName: 'd', region: 'r' });
  });

  it('matches keys case-insensitively (functionID, FunctionId, Type, PROVIDER)', () => {
    const fn = parseFunction('{"functionID":"a","Type":"http","PROVIDER":{"URL":"http://x"}}', space);
    assert.deepEqual(fn, { space: 'default', functionId: 'a', type: 'http', provider: { url: 'http://x' } });
    assert.equal(parseFunction('{"FunctionId":"b","type":"http","provider":{"url":"http://x"}}', space).functionId, 'b');
  });

  it('validates the function id after the provider, and takes it from the URL on update', () => {
    const http = { type: 'http', provider: { url: 'http://a' } };
    rejects(() => parseFunction(body(http), space), `${FN}${line('Function.ID', 'required')}`);
    rejects(() => parseFunction(body({ ...http, functionId: 'a/b' }), space), `${FN}${line('Function.ID', 'functionid')}`);
    rejects(() => parseFunction(body({ ...http, functionId: long }), space), `${FN}${line('Function.ID', 'max')}`);
    rejects(() => parseFunction(body({ functionId: 'a/b', type: 'http', provider: {} }), space), `${FN}missing required fields for HTTP endpoint`);
    rejects(() => parseFunction(body({ ...http, functionId: 'a/b' }), { space: 'x' }),
      `${FN}${line('Function.Space', 'min')}\n${line('Function.ID', 'functionid')}`);
    assert.equal(parseFunction(body({ ...http, functionId: 'ignored' }), { space: 'default', functionId: 'fromUrl' }).functionId, 'fromUrl');
    assert.equal(parseFunction(body(http), { space: 'default', functionId: 'fromUrl' }).functionId, 'fromUrl');
  });

  it('keeps string metadata and drops empty metadata', () => {
    const http = { functionId: 'f', type: 'http', provider: { url: 'http://a' } };
    assert.deepEqual(parseFunction(body({ ...http, metadata: { team: 'x' } }), space).metadata, { team: 'x' });
    assert.equal('metadata' in parseFunction(body({ ...http, metadata: {} }), space), false);
  });

  it('accepts http headers and a Standard Webhooks signing secret (docs/compatibility.md#signed-deliveries)', () => {
    const fn = parseFunction(
      body({ functionId: 'f', type: 'http', provider: { signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers: { 'X-Api-Key': 'k' }, url: 'https://a/x' } }),
      space,
    );
    assert.deepEqual(Object.entries(fn.provider), [
      ['url', 'https://a/x'], ['headers', { 'X-Api-Key': 'k' }], ['signingSecret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ]);
    const plain = parseFunction(body({ functionId: 'f', type: 'http', provider: { url: 'http://a', headers: {}, signingSecret: '' } }), space);
    assert.deepEqual(plain.provider, { url: 'http://a' });
    const marked = parseFunction(
      body({ functionId: 'f', type: 'http', provider: { url: 'http://a', headers: { 'X-Api-Key': SECRET_MARKER }, signingSecret: SECRET_MARKER } }),
      space,
    );
    assert.deepEqual(marked.provider, { url: 'http://a', headers: { 'X-Api-Key': SECRET_MARKER }, signingSecret: SECRET_MARKER });
  });

  it('refuses bad signing secrets and headers in the validator style', () => {
    const http = (provider: Record<string, unknown>) => () =>
      parseFunction(body({ functionId: 'f', type: 'http', provider: { url: 'http://a', ...provider } }), space);
    for (const secret of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_', 'whsec_!!!!', 'whsec_a', 'whsec_ab=c']) {
      rejects(http({ signingSecret: secret }), `${FN}${line('HTTP.SigningSecret', 'whsec')}`);
    }
    assert.doesNotThrow(http({ signingSecret: 'whsec_AA==' }));
    assert.doesNotThrow(http({ signingSecret: 'whsec_AA' }));
    rejects(http({ headers: { 'Bad Name': 'v' } }), `${FN}Key: 'HTTP.Headers[Bad Name]' Error:Field validation for 'Headers[Bad Name]' failed on the 'header' tag`);
    rejects(http({ headers: { 'X-A': 'line\r\nbreak' } }), `${FN}Key: 'HTTP.Headers[X-A]' Error:Field validation for 'Headers[X-A]' failed on the 'header' tag`);
    rejects(http({ headers: { 'Content-Length': '1', 'webhook-signature': 'x' } }),
      `${FN}Key: 'HTTP.Headers[Content-Length]' Error:Field validation for 'Headers[Content-Length]' failed on the 'header' tag\n` +
        "Key: 'HTTP.Headers[webhook-signature]' Error:Field validation for 'Headers[webhook-signature]' failed on the 'header' tag");
    rejects(http({ headers: { 'X.Y': '\u0000' } }), `${FN}Key: 'HTTP.Headers[X.Y]' Error:Field validation for 'Headers[X.Y]' failed on the 'header' tag`);
  });
});

describe('isGoUrl (validator "url": url.ParseRequestURI with a scheme)', () => {
  it('accepts absolute URLs with a scheme, opaque ones included', () => {
    for (const url of [
      'http://example.com', 'https://example.com:8080/a/b?q=1#frag', 'ftp://x', 'http://[::1]:80/', 'http://[fe80::1%25en0]/',
      'http://user:p%40ss@host/', 'http://', 'mailto:someone@example.com', 'localhost:3000', 'http:/path', 'HTTP://EXAMPLE.COM',
      'http://host/%E2%82%AC', 'http://exa_mple.com', 'http://ü.example/', 'http://a/b c', 'http://h/#%zz',
    ]) {
      assert.equal(isGoUrl(url), true, url);
    }
  });

  it('refuses what Go refuses', () => {
    for (const url of [
      '', '#frag', 'example.com', '/path', '*', '://x', '1http://x', 'http://exa mple.com', 'http://host:port/', 'http://host:80a',
      'http://%zz/', 'http://a%41b/', 'http://host/%zz', 'http://host/%4', 'http://a\u0000b', 'http://a\tb', 'http://[::1/',
      'http://[::1]x/', 'http://us er@host/', 'http://ü@host/', 'http://u%zz@host/', 'http://a/b?%zz\u007f',
    ]) {
      assert.equal(isGoUrl(url), false, url);
    }
  });
});

describe('parseSubscription (docs/compatibility.md#subscriptions, docs/compatibility.md#retries-and-timeouts)', () => {
  const space = { space: 'default' };

  it('gives exactly the three required lines for an empty body', () => {
    rejects(() => parseSubscription('{}', space),
      `${SUB}${line('Subscription.Type', 'required')}\n${line('Subscription.EventType', 'required')}\n${line('Subscription.FunctionID', 'required')}`);
  });

  it('reports decoder errors with the Subscription prefix (item 25)', () => {
    rejects(() => parseSubscription('{"name":"te', space), `${SUB}unexpected EOF`);
    rejects(() => parseSubscription('', space), `${SUB}EOF`);
    rejects(() => parseSubscription('{"type":"sync",}', space), `${SUB}invalid character '}' looking for beginning of object key string`);
    rejects(() => parseSubscription('{"subscriptionId":1}', space),
      `${SUB}json: cannot unmarshal number into Go struct field Subscription.subscriptionId of type subscription.ID`);
    rejects(() => parseSubscription('{"eventType":["a"]}', space),
      `${SUB}json: cannot unmarshal array into Go struct field Subscription.eventType of type event.TypeName`);
    rejects(() => parseSubscription('{"type":{}}', space),
      `${SUB}json: cannot unmarshal object into Go struct field Subscription.type of type subscription.Type`);
  });

  it('normalises path and method and derives the id (items 25, 30)', () => {
    assert.deepEqual(parseSubscription(body({ type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: '/' }), space), {
      space: 'default', subscriptionId: 'c3luYyxodHRwLnJlcXVlc3QsJTJGLEdFVA', type: 'sync', eventType: 'http.request', functionId: 'func', path: '/', method: 'GET',
    });
    const async = parseSubscription('{"type":"async","eventType":"user.created","FunctionId":"func","path":"","method":"get","subscriptionId":"ignored"}', space);
    assert.equal(async.subscriptionId, 'YXN5bmMsdXNlci5jcmVhdGVkLGZ1bmMsJTJGLEdFVA');
    assert.deepEqual([async.path, async.method], ['/', 'GET']);
    const defaults = parseSubscription(body({ type: 'sync', eventType: 'http.request', functionID: 'func' }), space);
    assert.deepEqual([defaults.path, defaults.method, defaults.subscriptionId], ['/', 'POST', 'c3luYyxodHRwLnJlcXVlc3QsJTJGLFBPU1Q']);
    const prefixed = parseSubscription(body({ type: 'sync', eventType: 'http.request', functionId: 'f', path: 'users/:id', method: 'gEt' }), space);
    assert.deepEqual([prefixed.path, prefixed.method, prefixed.subscriptionId], ['/users/:id', 'GET', 'c3luYyxodHRwLnJlcXVlc3QsJTJGdXNlcnMlMkY6aWQsR0VU']);
    assert.equal(parseSubscription(body({ type: 'async', eventType: 'e', functionId: 'f', path: '/a/' }), space).path, '/a/');
  });

  it('keeps body keys in the original order and the space from the URL', () => {
    const sub = parseSubscription(body({ metadata: { a: 'b' }, method: 'PUT', path: '/p', functionId: 'f', eventType: 'e', type: 'async', space: 'zzz' }), space);
    assert.deepEqual(Object.keys(sub), ['space', 'subscriptionId', 'type', 'eventType', 'functionId', 'path', 'method', 'metadata']);
    assert.equal(sub.space, 'default');
  });

  it('validates type, event type, function, method and lengths in struct order', () => {
    const base = { type: 'async', eventType: 'e', functionId: 'f' };
    rejects(() => parseSubscription(body({ ...base, type: 'ASYNC' }), space), `${SUB}${line('Subscription.Type', 'eq=async|eq=sync')}`);
    rejects(() => parseSubscription(body({ ...base, eventType: 'a b' }), space), `${SUB}${line('Subscription.EventType', 'eventType')}`);
    rejects(() => parseSubscription(body({ ...base, eventType: long }), space), `${SUB}${line('Subscription.EventType', 'max')}`);
    rejects(() => parseSubscription(body({ ...base, functionId: long }), space), `${SUB}${line('Subscription.FunctionID', 'max')}`);
    rejects(() => parseSubscription(body({ ...base, method: 'FETCH' }), space), `${SUB}${line('Subscription.Method', METHOD_TAG)}`);
    rejects(() => parseSubscription(body({ ...base, method: ' get' }), space), `${SUB}${line('Subscription.Method', METHOD_TAG)}`);
    rejects(() => parseSubscription(body({ ...base, path: `/${long}` }), space), `${SUB}${line('Subscription.Path', 'max')}`);
    rejects(() => parseSubscription(body({ type: 'x', eventType: '!', method: 'x' }), { space: 'a' }), SUB + [
      line('Subscription.Space', 'min'), line('Subscription.Type', 'eq=async|eq=sync'), line('Subscription.EventType', 'eventType'),
      line('Subscription.FunctionID', 'required'), line('Subscription.Method', METHOD_TAG),
    ].join('\n'));
    assert.equal(parseSubscription(body({ ...base, functionId: 'any/thing here' }), space).functionId, 'any/thing here');
  });

  it('accepts retry and timeoutMs, omitting them when absent or null', () => {
    const base = { type: 'async', eventType: 'e', functionId: 'f' };
    const sub = parseSubscription(body({ ...base, timeoutMs: 900000, retry: { maxAgeSeconds: 60, maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 2 } }), space);
    assert.deepEqual(sub.retry, { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 2, maxAgeSeconds: 60 });
    assert.deepEqual(Object.keys(sub.retry ?? {}), ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'maxAgeSeconds']);
    assert.equal(sub.timeoutMs, 900000);
    assert.deepEqual(Object.keys(sub).slice(-2), ['retry', 'timeoutMs']);
    for (const extra of [{}, { retry: null, timeoutMs: null }, { retry: {} }, { retry: { maxAttempts: null } }]) {
      const plain = parseSubscription(body({ ...base, ...extra }), space);
      assert.equal('retry' in plain, false);
      assert.equal('timeoutMs' in plain, false);
    }
    assert.equal(parseSubscription(body({ ...base, RETRY: { MaxAttempts: 3 } }), space).retry?.maxAttempts, 3);
  });

  it('refuses retry and timeout values out of range in the validator style', () => {
    const base = { type: 'async', eventType: 'e', functionId: 'f' };
    const parse = (extra: Record<string, unknown>) => () => parseSubscription(body({ ...base, ...extra }), space);
    rejects(parse({ timeoutMs: 0 }), `${SUB}${line('Subscription.TimeoutMs', 'min')}`);
    rejects(parse({ timeoutMs: 900001 }), `${SUB}${line('Subscription.TimeoutMs', 'max')}`);
    rejects(parse({ retry: { maxAttempts: 0 } }), `${SUB}${line('Subscription.Retry.MaxAttempts', 'min')}`);
    rejects(parse({ retry: { maxAttempts: 101 } }), `${SUB}${line('Subscription.Retry.MaxAttempts', 'max')}`);
    rejects(parse({ retry: { baseDelayMs: -1, maxDelayMs: 0, maxAgeSeconds: 2 ** 60 }, timeoutMs: -5 }), SUB + [
      line('Subscription.Retry.BaseDelayMs', 'min'), line('Subscription.Retry.MaxDelayMs', 'min'),
      line('Subscription.Retry.MaxAgeSeconds', 'max'), line('Subscription.TimeoutMs', 'min'),
    ].join('\n'));
    rejects(parse({ timeoutMs: 1.5 }), `${SUB}json: cannot unmarshal number 1.5 into Go struct field Subscription.timeoutMs of type int`);
    rejects(parse({ timeoutMs: '100' }), `${SUB}json: cannot unmarshal string into Go struct field Subscription.timeoutMs of type int`);
    rejects(parse({ retry: [] }), `${SUB}json: cannot unmarshal array into Go struct field Subscription.retry of type subscription.RetryPolicy`);
    rejects(parse({ retry: { maxDelayMs: 'x' } }), `${SUB}json: cannot unmarshal string into Go struct field RetryPolicy.retry.maxDelayMs of type int`);
  });

  it('keeps an async subscription\'s filter as given, last in the item, and omits it when absent or null', () => {
    const base = { type: 'async', eventType: 'e', functionId: 'f' };
    const sub = parseSubscription(`{"type":"async","eventType":"e","functionId":"f","filter":{"data":{"amount":[{"numeric":[">",100]}],"__proto__":["x"]}},"timeoutMs":5}`, space);
    assert.equal(JSON.stringify(sub.filter), JSON.stringify(JSON.parse('{"data":{"amount":[{"numeric":[">",100]}],"__proto__":["x"]}}')));
    assert.deepEqual(Object.keys(sub).slice(-2), ['timeoutMs', 'filter']);
    for (const extra of [{}, { filter: null }]) assert.equal('filter' in parseSubscription(body({ ...base, ...extra }), space), false);
  });

  it('refuses a filter on a sync subscription, and an invalid pattern with the path and limit named', () => {
    rejects(
      () => parseSubscription(body({ type: 'sync', eventType: 'e', functionId: 'f', filter: { a: ['x'] } }), space),
      `${SUB}a filter is only allowed on an async subscription: a sync subscription must answer every request`,
    );
    const parse = (filter: unknown) => () => parseSubscription(body({ type: 'async', eventType: 'e', functionId: 'f', filter }), space);
    assert.throws(parse({ data: { amount: [{ numeric: ['>', '1'] }] } }), (error: unknown) => {
      assert.ok(error instanceof FilterValidationError);
      assert.equal(error.statusCode, 400);
      assert.ok(error.message.startsWith(`${SUB}invalid filter at "data.amount[0].numeric[1]"`), error.message);
      assert.deepEqual((error.toBody().errors[0] as { path?: string }).path, 'data.amount[0].numeric[1]');
      return true;
    });
    assert.throws(parse({ v: Array.from({ length: 101 }, (_, i) => i) }), (error: unknown) => {
      assert.ok(error instanceof FilterValidationError);
      assert.deepEqual(error.toBody(), { errors: [{ message: `${SUB}invalid filter at "v": 101 values in one array, over the limit of 100`, path: 'v', limit: 100 }] });
      return true;
    });
    for (const pattern of ['x', [], 5, true, {}]) assert.throws(parse(pattern), FilterValidationError, JSON.stringify(pattern));
  });
});

describe('parseCors (docs/compatibility.md#cors-configurations)', () => {
  const space = { space: 'default' };

  it('parses the configuration of item 28', () => {
    assert.deepEqual(
      parseCors(body({ method: 'GET', path: '/hello', allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: ['content-type'], allowCredentials: false }), space),
      { space: 'default', corsId: 'GET%2Fhello', method: 'GET', path: '/hello', allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: ['content-type'], allowCredentials: false },
    );
  });

  it('applies the defaults to absent or empty lists (item 32)', () => {
    const expected = {
      space: 'default', corsId: 'POST%2F', method: 'POST', path: '/',
      allowedOrigins: ['*'], allowedMethods: ['HEAD', 'GET', 'POST'], allowedHeaders: ['Origin', 'Accept', 'Content-Type'], allowCredentials: false,
    };
    assert.deepEqual(parseCors(body({ method: 'POST', path: '/' }), space), expected);
    assert.deepEqual(parseCors(body({ method: 'POST', path: '/', allowedOrigins: [], allowedMethods: null, allowedHeaders: [] }), space), expected);
    assert.equal(parseCors(body({ method: 'GET', path: '/', allowCredentials: true, ALLOWCREDENTIALS: null }), space).allowCredentials, true);
  });

  it('neither upper-cases the method nor prefixes the path (item 32)', () => {
    rejects(() => parseCors(body({ method: 'NOT', path: '/x' }), space), `${CORS}${line('CORS.Method', METHOD_TAG)}`);
    rejects(() => parseCors(body({ method: 'get', path: '/x' }), space), `${CORS}${line('CORS.Method', METHOD_TAG)}`);
    rejects(() => parseCors(body({ method: 'GET', path: 'x' }), space), `${CORS}${line('CORS.Path', 'path')}`);
    rejects(() => parseCors('{}', space), `${CORS}${line('CORS.Method', METHOD_TAG)}\n${line('CORS.Path', 'path')}`);
    rejects(() => parseCors(body({ method: 'GET', path: `/${long}` }), space), `${CORS}${line('CORS.Path', 'max')}`);
    rejects(() => parseCors('{}', { space: 'a_' }), `${CORS}${line('CORS.Space', 'min')}\n${line('CORS.Method', METHOD_TAG)}\n${line('CORS.Path', 'path')}`);
  });

  it('derives the id from the raw method and path, parameters included', () => {
    const cors = parseCors(body({ method: 'OPTIONS', path: '/users/:id/*rest', space: 'ignored', corsId: 'ignored' }), space);
    assert.deepEqual([cors.space, cors.corsId], ['default', 'OPTIONS%2Fusers%2F:id%2F%2Arest']);
  });

  it('reports decoder errors with the CORS prefix, non-string metadata included', () => {
    rejects(() => parseCors('{', space), `${CORS}unexpected EOF`);
    rejects(() => parseCors('', space), `${CORS}EOF`);
    rejects(() => parseCors(body({ method: 'GET', path: '/', metadata: { a: 1 } }), space),
      `${CORS}json: cannot unmarshal number into Go struct field CORS.metadata of type string`);
    rejects(() => parseCors(body({ method: 'GET', path: '/', allowedOrigins: 'x' }), space),
      `${CORS}json: cannot unmarshal string into Go struct field CORS.allowedOrigins of type []string`);
    rejects(() => parseCors(body({ method: 'GET', path: '/', allowedHeaders: ['a', 2] }), space),
      `${CORS}json: cannot unmarshal number into Go struct field CORS.allowedHeaders of type string`);
    rejects(() => parseCors(body({ method: 'GET', path: '/', allowCredentials: 'true' }), space),
      `${CORS}json: cannot unmarshal string into Go struct field CORS.allowCredentials of type bool`);
    rejects(() => parseCors(body({ corsId: 1 }), space), `${CORS}json: cannot unmarshal number into Go struct field CORS.corsId of type cors.ID`);
    rejects(() => parseCors('true', space), `${CORS}json: cannot unmarshal bool into Go value of type cors.CORS`);
  });

  it('keeps metadata and ignores unknown keys', () => {
    const cors = parseCors(body({ method: 'GET', path: '/', metadata: { k: 'v' }, maxAge: 5, exposedHeaders: ['x'] }), space);
    assert.deepEqual(cors.metadata, { k: 'v' });
    assert.deepEqual(Object.keys(cors), ['space', 'corsId', 'method', 'path', 'allowedOrigins', 'allowedMethods', 'allowedHeaders', 'allowCredentials', 'metadata']);
  });
});

describe('parsers: which 400s happened while decoding', () => {
  const kindOf = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof BadRequestError);
      return error instanceof BodyDecodeError ? 'decode' : 'validation';
    }
    return 'none';
  };

  it('marks decoder and provider errors as BodyDecodeError, the original\'s uncounted requests', () => {
    const space = { space: 'default' };
    assert.equal(kindOf(() => parseEventType('{', space)), 'decode');
    assert.equal(kindOf(() => parseSubscription('{"type":1}', space)), 'decode');
    assert.equal(kindOf(() => parseCors('', space)), 'decode');
    assert.equal(kindOf(() => parseFunction('{"functionId":"f"}', space)), 'decode');
    assert.equal(kindOf(() => parseFunction('{"type":"x"}', space)), 'decode');
    assert.equal(kindOf(() => parseFunction('{"type":"http","provider":{"url":""}}', space)), 'decode');
    assert.equal(kindOf(() => parseFunction('{"type":"http","provider":[]}', space)), 'decode');
    assert.equal(kindOf(() => parseFunction('{"type":"http","provider":{"url":"http://a","signingSecret":"x"}}', space)), 'decode');
    assert.equal(new BodyDecodeError('x').name, 'BodyDecodeError');
  });

  it('keeps validation errors after decoding as plain BadRequestError', () => {
    const space = { space: 'default' };
    assert.equal(kindOf(() => parseEventType('{}', space)), 'validation');
    assert.equal(kindOf(() => parseSubscription('{}', space)), 'validation');
    assert.equal(kindOf(() => parseCors('{}', space)), 'validation');
    assert.equal(kindOf(() => parseFunction('{"type":"http","provider":{"url":"http://a"}}', space)), 'validation');
    assert.equal(kindOf(() => parseEventType('{"name":"a"}', { space: 'x' })), 'validation');
  });
});

describe('parsers and raw bytes', () => {
  it('accept a Uint8Array body as well as a string', () => {
    const text = body({ name: 'ünïcode' });
    assert.deepEqual(parseEventType(new TextEncoder().encode(text), { space: 'default' }), parseEventType(text, { space: 'default' }));
    rejects(() => parseEventType(Uint8Array.of(0xc3), { space: 'default' }), `${ET}invalid character 'Ã' looking for beginning of value`);
  });
});

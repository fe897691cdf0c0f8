import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BadRequestError } from '../../../lib/core/errors/index.js';
import {
  mergeSecrets,
  parseCors,
  parseEventType,
  parseFunction,
  parseSubscription,
  toJson,
  type FunctionConfig,
  type Kind,
} from '../../../lib/core/model/index.js';

const RUNS = 2000;

const parsers: ReadonlyArray<readonly [Kind, (body: string | Uint8Array, space: string) => unknown]> = [
  ['eventtype', (b, space) => parseEventType(b, { space })],
  ['eventtype', (b, space) => parseEventType(b, { space, name: 'from.url' })],
  ['function', (b, space) => parseFunction(b, { space })],
  ['function', (b, space) => parseFunction(b, { space, functionId: 'fromUrl' })],
  ['subscription', (b, space) => parseSubscription(b, { space })],
  ['cors', (b, space) => parseCors(b, { space })],
];

/** Every parser either returns an item that serialises, or throws a BadRequestError; nothing else. */
function onlyBadRequests(body: string | Uint8Array, space = 'default'): void {
  for (const [kind, parse] of parsers) {
    try {
      const item = parse(body, space);
      JSON.stringify(toJson(kind, item as never));
    } catch (error) {
      assert.ok(error instanceof BadRequestError, `${kind}: unexpected ${String(error)}`);
      assert.equal(error.statusCode, 400);
    }
  }
}

const key = fc.constantFrom(
  'space', 'name', 'authorizerId', 'metadata', 'functionId', 'FunctionID', 'type', 'provider', 'url', 'headers', 'signingSecret',
  'arn', 'region', 'subscriptionId', 'eventType', 'path', 'method', 'retry', 'maxAttempts', 'timeoutMs', 'method', 'corsId',
  'allowedOrigins', 'allowedMethods', 'allowedHeaders', 'allowCredentials',
);
const scalar = fc.oneof(
  fc.constantFrom('http', 'awslambda', 'awssqs', 'async', 'sync', 'GET', 'post', '/', 'a/b', 'http://example.com', 'whsec_AAAA', '********', ''),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.oneof(key, fc.string()), tie('value'), { maxKeys: 5 })),
})).value;
const resourceLike = fc.dictionary(key, value, { maxKeys: 10 }).map((object) => JSON.stringify(object));

const name = fc.stringMatching(/^[a-zA-Z0-9._-]{1,12}$/);
const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const oddValue = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean());
const labels = fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 });
const methodName = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'Post');
/** Bodies close to valid ones: the right fields, mostly right values, sometimes odd ones. */
const nearValid = fc.oneof(
  fc.record({ kind: fc.constant('eventtype' as const), body: fc.record({ name: fc.oneof(name, fc.string()), authorizerId: sometimes(fc.oneof(name, fc.constant(''))), metadata: sometimes(labels) }, { requiredKeys: ['name'] }) }),
  fc.record({
    kind: fc.constant('function' as const),
    body: fc.record({
      functionId: fc.oneof(name, fc.string()),
      type: fc.constantFrom('http', 'awslambda', 'awskinesis', 'awsfirehose', 'awssqs'),
      provider: fc.record({
        url: fc.oneof(fc.constantFrom('http://example.com', 'https://a.b:8080/x?y#z', 'mailto:x'), fc.webUrl(), fc.string()),
        headers: sometimes(fc.dictionary(fc.stringMatching(/^[A-Za-z-]{1,8}$/), fc.string({ maxLength: 8 }), { maxKeys: 2 })),
        signingSecret: sometimes(fc.oneof(fc.constant('whsec_AAAA'), fc.base64String({ minLength: 4 }).map((b) => `whsec_${b}`))),
        arn: name, streamName: name, deliveryStreamName: name, queueUrl: name, region: name,
        awsAccessKeyId: sometimes(name), awsSecretAccessKey: sometimes(fc.string()), awsSessionToken: sometimes(fc.string()),
      }, { requiredKeys: [] }),
      metadata: sometimes(labels),
    }, { requiredKeys: ['functionId', 'type', 'provider'] }),
  }),
  fc.record({
    kind: fc.constant('subscription' as const),
    body: fc.record({
      type: fc.oneof(fc.constantFrom('async', 'sync'), oddValue),
      eventType: name,
      functionId: fc.oneof(name, fc.string()),
      path: sometimes(fc.string()),
      method: sometimes(fc.oneof(methodName, fc.string())),
      metadata: sometimes(labels),
      retry: sometimes(fc.record({ maxAttempts: fc.integer({ min: -1, max: 120 }), baseDelayMs: fc.integer({ min: 0, max: 10_000 }) }, { requiredKeys: [] })),
      timeoutMs: sometimes(fc.oneof(fc.integer({ min: -1, max: 1_000_000 }), oddValue)),
    }, { requiredKeys: ['type', 'eventType', 'functionId'] }),
  }),
  fc.record({
    kind: fc.constant('cors' as const),
    body: fc.record({
      method: fc.oneof(methodName, fc.string()),
      path: fc.oneof(fc.string().map((p) => `/${p}`), fc.string()),
      allowedOrigins: sometimes(fc.array(fc.string(), { maxLength: 3 })),
      allowedMethods: sometimes(fc.array(methodName, { maxLength: 3 })),
      allowedHeaders: sometimes(fc.array(fc.string(), { maxLength: 3 })),
      allowCredentials: sometimes(fc.boolean()),
      metadata: sometimes(labels),
    }, { requiredKeys: ['method', 'path'] }),
  }),
);

const parseAs = (kind: Kind, body: string): unknown => {
  switch (kind) {
    case 'eventtype':
      return parseEventType(body, { space: 'default' });
    case 'function':
      return parseFunction(body, { space: 'default' });
    case 'subscription':
      return parseSubscription(body, { space: 'default' });
    default:
      return parseCors(body, { space: 'default' });
  }
};

describe('parsers: properties', () => {
  it('round-trip what they accept through toJson (secrets restored by mergeSecrets)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(nearValid, ({ kind, body }) => {
        let item: unknown;
        try {
          item = parseAs(kind, JSON.stringify(body));
        } catch (error) {
          assert.ok(error instanceof BadRequestError, `${kind}: unexpected ${String(error)}`);
          return;
        }
        accepted++;
        const shown = JSON.stringify(toJson(kind, item as never));
        let again = parseAs(kind, shown);
        if (kind === 'function') again = mergeSecrets(again as FunctionConfig, item as FunctionConfig);
        const expected = { ...(item as Record<string, unknown>) };
        if (expected.authorizerId === '') delete expected.authorizerId; // never stored: the authorizer check refuses it
        assert.deepStrictEqual(again, expected);
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted > RUNS / 10, `only ${accepted} bodies were accepted`);
  });

  it('throw nothing but BadRequestError for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (body) => onlyBadRequests(body)), { numRuns: RUNS });
  });

  it('throw nothing but BadRequestError for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (body) => onlyBadRequests(body)), { numRuns: RUNS });
  });

  it('throw nothing but BadRequestError for resource-like JSON objects and any space', () => {
    fc.assert(
      fc.property(resourceLike, fc.oneof(fc.constant('default'), fc.string({ unit: 'binary' })), (body, space) => onlyBadRequests(body, space)),
      { numRuns: RUNS },
    );
  });

  it('throw nothing but BadRequestError for truncated or damaged resource-like JSON', () => {
    const damaged = fc.tuple(resourceLike, fc.nat(), fc.string({ unit: 'binary', maxLength: 2 })).map(
      ([json, at, junk]) => json.slice(0, at % (json.length + 1)) + junk,
    );
    fc.assert(fc.property(damaged, (body) => onlyBadRequests(body)), { numRuns: RUNS });
  });
});

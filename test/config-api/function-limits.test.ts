import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage } from '../helpers/http.js';

const PROVIDERS: Record<string, unknown> = {
  http: { url: 'http://127.0.0.1:9/x' },
  awslambda: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', region: 'us-east-1' },
  awskinesis: { streamName: 's', region: 'us-east-1' },
  awsfirehose: { deliveryStreamName: 'd', region: 'us-east-1' },
  awssqs: { queueUrl: 'http://127.0.0.1:9/000000000000/q', region: 'us-east-1' },
};

describe('config API: function rateLimit and maxConcurrency (docs/limits.md)', () => {
  const api = gatewayForSuite();

  it('stores and shows both limits on every function type, after metadata', async () => {
    for (const [type, provider] of Object.entries(PROVIDERS)) {
      const body = { functionId: `lim-${type}`, type, provider, metadata: { a: 'b' }, maxConcurrency: 4, rateLimit: { perSecond: 2.5 } };
      const created = await call(api.url, 'POST', '/v1/spaces/limits/functions', body);
      assert.equal(created.status, 201, created.text);
      const fetched = await call(api.url, 'GET', `/v1/spaces/limits/functions/lim-${type}`);
      assert.deepEqual(Object.keys(fetched.json<Record<string, unknown>>()), ['space', 'functionId', 'type', 'provider', 'metadata', 'rateLimit', 'maxConcurrency']);
      assert.deepEqual(fetched.json<Record<string, unknown>>().rateLimit, { perSecond: 2.5 });
      assert.equal(fetched.json<Record<string, unknown>>().maxConcurrency, 4);
    }
  });

  it('omits unset limits, and a PUT changes or removes them (null is the same as leaving a field out)', async () => {
    const plain = await call(api.url, 'POST', '/v1/spaces/limits/functions', { functionId: 'plain', type: 'http', provider: PROVIDERS.http });
    assert.equal(plain.text, '{"space":"limits","functionId":"plain","type":"http","provider":{"url":"http://127.0.0.1:9/x"}}\n');
    const put = await call(api.url, 'PUT', '/v1/spaces/limits/functions/plain', { type: 'http', provider: PROVIDERS.http, rateLimit: { perSecond: 100 } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json<Record<string, unknown>>().rateLimit, { perSecond: 100 });
    const cleared = await call(api.url, 'PUT', '/v1/spaces/limits/functions/plain', { type: 'http', provider: PROVIDERS.http, rateLimit: null, maxConcurrency: null });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.text, '{"space":"limits","functionId":"plain","type":"http","provider":{"url":"http://127.0.0.1:9/x"}}\n');
  });

  it('answers 400 naming each bad field', async () => {
    const prefix = "Function doesn't validate. Validation error: ";
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ rateLimit: { perSecond: 0 } }, 'rateLimit.perSecond: must be a number from 0.01 to 100000, not 0'],
      [{ rateLimit: { perSecond: -5 } }, 'rateLimit.perSecond: must be a number from 0.01 to 100000, not -5'],
      [{ rateLimit: { perSecond: '10' } }, 'rateLimit.perSecond: must be a number from 0.01 to 100000, not "10"'],
      [{ rateLimit: { perSecond: 1e9 } }, 'rateLimit.perSecond: must be a number from 0.01 to 100000, not 1000000000'],
      [{ rateLimit: {} }, 'rateLimit.perSecond: required'],
      [{ rateLimit: 10 }, 'rateLimit: must be an object like {"perSecond": 10}, not 10'],
      [{ rateLimit: { perSecond: 1, burst: 5 } }, 'rateLimit.burst: not a field of rateLimit (fields: perSecond)'],
      [{ maxConcurrency: 0 }, 'maxConcurrency: must be a whole number from 1 to 100000, not 0'],
      [{ maxConcurrency: 1.5 }, 'maxConcurrency: must be a whole number from 1 to 100000, not 1.5'],
      [{ maxConcurrency: true }, 'maxConcurrency: must be a whole number from 1 to 100000, not true'],
      [
        { rateLimit: { perSecond: 0 }, maxConcurrency: -1 },
        'rateLimit.perSecond: must be a number from 0.01 to 100000, not 0\nmaxConcurrency: must be a whole number from 1 to 100000, not -1',
      ],
    ];
    for (const [extra, message] of cases) {
      const res = await call(api.url, 'POST', '/v1/spaces/limits/functions', { functionId: 'bad', type: 'http', provider: PROVIDERS.http, ...extra });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(errorMessage(res), prefix + message, JSON.stringify(extra));
    }
    const missing = await call(api.url, 'GET', '/v1/spaces/limits/functions/bad');
    assert.equal(missing.status, 404);
  });
});

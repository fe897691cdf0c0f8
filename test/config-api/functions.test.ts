import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage } from '../helpers/http.js';

describe('config API: functions (docs/compatibility.md#functions)', () => {
  const api = gatewayForSuite();

  it('creates a function in the URL space and stores it as the original did', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/test1/functions', {
      functionId: 'func1', space: 'ignored', type: 'http', provider: { url: 'http://example.com' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.text, '{"space":"test1","functionId":"func1","type":"http","provider":{"url":"http://example.com"}}\n');
  });

  it('refuses a duplicate with 409 and a truncated body with 400 (item 23)', async () => {
    const dup = await call(api.url, 'POST', '/v1/spaces/test1/functions', { functionId: 'func1', type: 'http', provider: { url: 'http://example.com' } });
    assert.equal(dup.status, 409);
    assert.equal(errorMessage(dup), 'Function "func1" already registered.');
    const bad = await call(api.url, 'POST', '/v1/spaces/test1/functions', '{');
    assert.equal(bad.status, 400);
    assert.equal(errorMessage(bad), "Function doesn't validate. Validation error: unexpected EOF");
  });

  it('gets a function with its type and provider url, and 404s a missing one (item 22)', async () => {
    const ok = await call(api.url, 'GET', '/v1/spaces/test1/functions/func1');
    assert.equal(ok.status, 200);
    const fn = ok.json<{ type: string; provider: { url: string } }>();
    assert.equal(fn.type, 'http');
    assert.equal(fn.provider.url, 'http://example.com');
    const missing = await call(api.url, 'GET', '/v1/spaces/test1/functions/nope');
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Function "nope" not found.');
  });

  it('explains provider problems (item 34, Q3 fixed)', async () => {
    const cases: Array<[unknown, string]> = [
      [{ functionId: 'f', space: 'x' }, 'provider configuration not set'],
      [{ functionId: 'f', type: 'http' }, 'provider configuration not set'],
      [{ functionId: 'f', type: 'gcloud', provider: {} }, 'provider gcloud not supported'],
      [{ functionId: 'f', type: 'http', provider: { url: '' } }, 'missing required fields for HTTP endpoint'],
      [{ functionId: 'f', type: 'http', provider: { url: 'not a url' } }, 'missing required fields for HTTP endpoint'],
      [{ functionId: 'f', type: 'awslambda', provider: { arn: '', region: 'us-east-1' } }, 'missing required fields for AWS Lambda function'],
      [{ functionId: 'f', type: 'awskinesis', provider: { streamName: 's' } }, 'missing required fields for AWS Kinesis function'],
      [{ functionId: 'f', type: 'awsfirehose', provider: { region: 'us-east-1' } }, 'missing required fields for AWS Firehose function'],
      [{ functionId: 'f', type: 'awssqs', provider: { queueUrl: 'q' } }, 'missing required fields for AWS SQS function'],
    ];
    for (const [body, message] of cases) {
      const res = await call(api.url, 'POST', '/v1/spaces/test1/functions', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(errorMessage(res), `Function doesn't validate. Validation error: ${message}`, JSON.stringify(body));
    }
  });

  it('accepts case-insensitive keys, ignores unknown keys and trailing bytes', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/test1/functions',
      '{"FunctionID":"func2","TYPE":"http","Provider":{"URL":"http://example.com/x"},"unknown":1} trailing garbage');
    assert.equal(res.status, 201);
    assert.deepEqual(res.json(), { space: 'test1', functionId: 'func2', type: 'http', provider: { url: 'http://example.com/x' } });
  });

  it('never returns secrets, and keeps them when a PUT sends the marker back (docs/compatibility.md#deliberate-differences)', async () => {
    const created = await call(api.url, 'POST', '/v1/spaces/test1/functions', {
      functionId: 'lambda1', type: 'awslambda',
      provider: { arn: 'arn:aws:lambda:us-east-1:123:function:f', region: 'us-east-1', awsAccessKeyId: 'AKIA1', awsSecretAccessKey: 'secret', awsSessionToken: 'token' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.text,
      '{"space":"test1","functionId":"lambda1","type":"awslambda","provider":{"arn":"arn:aws:lambda:us-east-1:123:function:f","region":"us-east-1","awsAccessKeyId":"AKIA1","awsSecretAccessKey":"********","awsSessionToken":"********"}}\n');
    const echoed = created.json<{ provider: Record<string, string> }>();
    const updated = await call(api.url, 'PUT', '/v1/spaces/test1/functions/lambda1', { type: 'awslambda', provider: { ...echoed.provider, region: 'eu-west-1' } });
    assert.equal(updated.status, 200);
    assert.equal(updated.json<{ provider: Record<string, string> }>().provider.awsSecretAccessKey, '********');
    assert.equal(updated.json<{ provider: Record<string, string> }>().provider.region, 'eu-west-1');
    const listed = await call(api.url, 'GET', '/v1/spaces/test1/functions');
    assert.doesNotMatch(listed.text, /secret|token"/);
  });

  it('hides http header values too', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/test1/functions', {
      functionId: 'azure', type: 'http', provider: { url: 'https://example.com/api', headers: { 'x-functions-key': 'k3y' } },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.json<{ provider: unknown }>().provider, { url: 'https://example.com/api', headers: { 'x-functions-key': '********' } });
  });

  it('updates a function, changing its type, with the id from the URL; 404s a missing one', async () => {
    const res = await call(api.url, 'PUT', '/v1/spaces/test1/functions/func2', { functionId: 'other', type: 'awssqs', provider: { queueUrl: 'https://sqs.example/q', region: 'us-east-1' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { space: 'test1', functionId: 'func2', type: 'awssqs', provider: { queueUrl: 'https://sqs.example/q', region: 'us-east-1' } });
    const missing = await call(api.url, 'PUT', '/v1/spaces/test1/functions/ghost', { type: 'http', provider: { url: 'http://example.com' } });
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Function "ghost" not found.');
  });

  it('refuses to delete a subscribed function or an authorizer, then deletes, then 404s (item 24)', async () => {
    await call(api.url, 'POST', '/v1/spaces/test1/eventtypes', { name: 'test.event' });
    const sub = await call(api.url, 'POST', '/v1/spaces/test1/subscriptions', { type: 'async', eventType: 'test.event', functionId: 'func1' });
    assert.equal(sub.status, 201);
    const subscribed = await call(api.url, 'DELETE', '/v1/spaces/test1/functions/func1');
    assert.equal(subscribed.status, 400);
    assert.equal(errorMessage(subscribed), "Function cannot be deleted because it's subscribed to a least one event.");
    await call(api.url, 'DELETE', `/v1/spaces/test1/subscriptions/${sub.json<{ subscriptionId: string }>().subscriptionId}`);
    await call(api.url, 'PUT', '/v1/spaces/test1/eventtypes/test.event', { authorizerId: 'func1' });
    const authorizer = await call(api.url, 'DELETE', '/v1/spaces/test1/functions/func1');
    assert.equal(authorizer.status, 400);
    assert.equal(errorMessage(authorizer), 'Function func1 cannot be deleted because is used as an authorizer for test.event event type.');
    await call(api.url, 'PUT', '/v1/spaces/test1/eventtypes/test.event', {});
    assert.equal((await call(api.url, 'DELETE', '/v1/spaces/test1/functions/func1')).status, 204);
    const missing = await call(api.url, 'DELETE', '/v1/spaces/test1/functions/func1');
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Function "func1" not found.');
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { registryTableNames } from '../../../lib/adapters/registry/dynamodb/index.js';
import type { AlbResult, ApiGatewayV2Result, LambdaHttpResult } from '../../../lib/config-api/adapters/index.js';
import { CONFIG_API_UNAVAILABLE } from '../../../lib/lambda/index.js';
import { createHandler, type ConfigApiHandler } from '../../../functions/config-api.js';
import { FakeLambda } from '../fakes/lambda.js';
import { FakeSecretsManager } from '../fakes/secrets-manager.js';
import { awsClientConfig, requireEnv } from '../helpers.js';
import { albEvent, albMultiValueEvent, apiGatewayV2Event } from './events.js';

const DYNAMODB_ENDPOINT = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const SQS_ENDPOINT = requireEnv('EG_TEST_SQS_ENDPOINT');
const RUN = `eg-lcfg-${randomUUID().slice(0, 8)}`;
const PREFIX = `${RUN}-`;
const ADMIN_KEY = `egk_${randomUUID().replaceAll('-', '')}`;
const UNAUTHORIZED = '{"errors":[{"message":"Unauthorized: a valid access key is required (Authorization: bearer \\u003ckey\\u003e)."}]}\n';

const dynamodb = new DynamoDBClient(awsClientConfig(DYNAMODB_ENDPOINT));
const sqs = new SQSClient(awsClientConfig(SQS_ENDPOINT));

const asAlb = (result: LambdaHttpResult) => result as AlbResult;
const asV2 = (result: LambdaHttpResult) => result as ApiGatewayV2Result;
const admin = { authorization: `bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

describe('the config API Lambda handler [lambda-handler]', () => {
  let secrets: FakeSecretsManager;
  let queueUrl: string;
  let secretArn: string;
  let handler: ConfigApiHandler;
  const emf: string[] = [];
  const handlers: ConfigApiHandler[] = [];

  /** Settings as the stack sets them, pointed at the local servers. */
  const baseEnv = (): NodeJS.ProcessEnv => ({
    AWS_LAMBDA_FUNCTION_NAME: 'event-gateway-config-api',
    EVENT_GATEWAY_DYNAMODB_ENDPOINT: DYNAMODB_ENDPOINT,
    EVENT_GATEWAY_SQS_ENDPOINT: SQS_ENDPOINT,
    EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: PREFIX,
    EVENT_GATEWAY_SQS_QUEUE_URL: queueUrl,
    EVENT_GATEWAY_LOG_LEVEL: 'silent',
  });
  const newHandler = (env: NodeJS.ProcessEnv, writeMetrics?: (document: string) => void, now?: () => number) => {
    const created = createHandler({ env, secretsManager: awsClientConfig(secrets.endpoint), writeMetrics: writeMetrics ?? (() => {}), ...(now ? { now } : {}) });
    handlers.push(created);
    return created;
  };

  before(async () => {
    secrets = await FakeSecretsManager.start();
    secretArn = secrets.putSecret(`${RUN}/admin-key`, ADMIN_KEY);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-queue` }))).QueueUrl ?? '';
    handler = newHandler({ ...baseEnv(), EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: secretArn }, (document) => emf.push(document));
  });

  after(async () => {
    for (const created of handlers) await created.close();
    await secrets.stop();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    for (const table of Object.values(registryTableNames(PREFIX))) {
      await dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    }
    dynamodb.destroy();
    sqs.destroy();
  });

  it('creates an event type, a function and a subscription from ALB events with the exact bodies', async () => {
    const eventType = asAlb(await handler(albEvent({ method: 'POST', url: '/v1/spaces/alb/eventtypes', headers: admin, body: '{"name":"user.created"}' })));
    assert.deepEqual(eventType, {
      statusCode: 201,
      statusDescription: '201 Created',
      headers: { 'content-type': 'application/json' },
      body: '{"space":"alb","name":"user.created"}\n',
      isBase64Encoded: false,
    });
    const fn = asAlb(await handler(albEvent({
      method: 'POST',
      url: '/v1/spaces/alb/functions',
      headers: admin,
      body: '{"functionId":"hello","type":"http","provider":{"url":"http://127.0.0.1:9/"}}',
    })));
    assert.equal(fn.statusCode, 201);
    assert.equal(fn.body, '{"space":"alb","functionId":"hello","type":"http","provider":{"url":"http://127.0.0.1:9/"}}\n');
    const subscription = asAlb(await handler(albEvent({
      method: 'POST',
      url: '/v1/spaces/alb/subscriptions',
      headers: admin,
      body: '{"type":"async","eventType":"user.created","functionId":"hello","path":"/","method":"get"}',
    })));
    assert.equal(subscription.statusCode, 201);
    assert.equal(subscription.statusDescription, '201 Created');
    assert.equal(
      subscription.body,
      '{"space":"alb","subscriptionId":"YXN5bmMsdXNlci5jcmVhdGVkLGhlbGxvLCUyRixHRVQ","type":"async","eventType":"user.created","functionId":"hello","path":"/","method":"GET"}\n',
    );
  });

  it('creates an event type, a function and a subscription from API Gateway v2 events with the exact bodies', async () => {
    const eventType = asV2(await handler(apiGatewayV2Event({ method: 'POST', url: '/v1/spaces/apigw/eventtypes', headers: admin, body: '{"name":"user.created"}' })));
    assert.deepEqual(eventType, {
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"space":"apigw","name":"user.created"}\n',
      isBase64Encoded: false,
    });
    const fn = asV2(await handler(apiGatewayV2Event({
      method: 'POST',
      url: '/v1/spaces/apigw/functions',
      headers: admin,
      body: '{"functionId":"hello","type":"http","provider":{"url":"http://127.0.0.1:9/"}}',
    })));
    assert.equal(fn.statusCode, 201);
    assert.equal(fn.body, '{"space":"apigw","functionId":"hello","type":"http","provider":{"url":"http://127.0.0.1:9/"}}\n');
    const subscription = asV2(await handler(apiGatewayV2Event({
      method: 'POST',
      url: '/v1/spaces/apigw/subscriptions',
      headers: admin,
      body: '{"type":"sync","eventType":"user.created","functionId":"hello","path":"/","method":"GET"}',
    })));
    assert.equal(subscription.statusCode, 201);
    assert.equal(
      subscription.body,
      '{"space":"apigw","subscriptionId":"c3luYyx1c2VyLmNyZWF0ZWQsJTJGLEdFVA","type":"sync","eventType":"user.created","functionId":"hello","path":"/","method":"GET"}\n',
    );
    const listed = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/apigw/functions', headers: admin })));
    assert.equal(listed.body, '{"functions":[{"space":"apigw","functionId":"hello","type":"http","provider":{"url":"http://127.0.0.1:9/"}}]}\n');
  });

  it('strips a named stage from the v2 path', async () => {
    const res = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/apigw/eventtypes/user.created', headers: admin, stage: 'prod' })));
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '{"space":"apigw","name":"user.created"}\n');
  });

  it('answers 401 with the envelope without a key, in both shapes, and reads the secret only once', async () => {
    const alb = asAlb(await handler(albEvent({ method: 'GET', url: '/v1/spaces/alb/functions' })));
    assert.deepEqual(alb, {
      statusCode: 401,
      statusDescription: '401 Unauthorized',
      headers: { 'content-type': 'application/json' },
      body: UNAUTHORIZED,
      isBase64Encoded: false,
    });
    const v2 = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/functions', headers: { authorization: 'bearer egk_wrong' } })));
    assert.equal(v2.statusCode, 401);
    assert.equal(v2.body, UNAUTHORIZED);
    assert.equal(secrets.reads(secretArn), 1);
  });

  it('serves keys created through the API, with the scopes they were given', async () => {
    const created = asV2(await handler(apiGatewayV2Event({ method: 'POST', url: '/v1/keys', headers: admin, body: '{"spaces":["alb"],"description":"ci"}' })));
    assert.equal(created.statusCode, 201);
    const { key } = JSON.parse(created.body) as { key: string };
    const own = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/eventtypes', headers: { authorization: `bearer ${key}` } })));
    assert.equal(own.statusCode, 200);
    assert.equal(own.body, '{"eventTypes":[{"space":"alb","name":"user.created"}]}\n');
    const other = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/apigw/eventtypes', headers: { authorization: `bearer ${key}` } })));
    assert.equal(other.statusCode, 403);
    assert.equal(other.body, '{"errors":[{"message":"Forbidden: the access key does not grant access to space \\"apigw\\"."}]}\n');
  });

  it('reads a CORS id from the still-encoded path (GET%2Fhello) in both shapes', async () => {
    const created = asAlb(await handler(albEvent({
      method: 'POST',
      url: '/v1/spaces/alb/cors',
      headers: admin,
      body: '{"method":"GET","path":"/hello","allowedOrigins":["*"],"allowedMethods":["GET"],"allowedHeaders":["content-type"],"allowCredentials":false}',
    })));
    assert.equal(created.statusCode, 201);
    assert.equal(JSON.parse(created.body).corsId, 'GET%2Fhello');
    const viaAlb = asAlb(await handler(albEvent({ method: 'GET', url: '/v1/spaces/alb/cors/GET%2Fhello', headers: admin })));
    assert.equal(viaAlb.statusCode, 200);
    assert.equal(
      viaAlb.body,
      '{"space":"alb","corsId":"GET%2Fhello","method":"GET","path":"/hello","allowedOrigins":["*"],"allowedMethods":["GET"],"allowedHeaders":["content-type"],"allowCredentials":false}\n',
    );
    const viaV2 = asV2(await handler(apiGatewayV2Event({ method: 'DELETE', url: '/v1/spaces/alb/cors/GET%2Fhello', headers: admin })));
    assert.equal(viaV2.statusCode, 204);
    const gone = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/cors/GET%2Fhello', headers: admin })));
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.body, '{"errors":[{"message":"CORS configuration \\"GET%2Fhello\\" not found."}]}\n');
  });

  it('answers an ALB event that used multiValueHeaders with multiValueHeaders, its query re-encoded', async () => {
    for (const [functionId, team] of [['mv-a', 'a b'], ['mv-b', 'other']] as const) {
      const res = asAlb(await handler(albMultiValueEvent({
        method: 'POST',
        url: '/v1/spaces/multi/functions',
        headers: { authorization: [`bearer ${ADMIN_KEY}`], 'content-type': ['application/json'] },
        body: JSON.stringify({ functionId, type: 'http', provider: { url: 'http://127.0.0.1:9/' }, metadata: { team } }),
      })));
      assert.equal(res.statusCode, 201);
      assert.deepEqual(res.multiValueHeaders, { 'content-type': ['application/json'] });
      assert.equal(res.headers, undefined);
    }
    // ALB passes query values on as sent: `a%20b` must reach the filter as "a b", and only the first value counts.
    const listed = asAlb(await handler(albMultiValueEvent({
      method: 'GET',
      url: '/v1/spaces/multi/functions?metadata.team=a%20b&metadata.team=other',
      headers: { authorization: [`bearer ${ADMIN_KEY}`] },
    })));
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.multiValueHeaders, { 'content-type': ['application/json'] });
    assert.deepEqual(JSON.parse(listed.body).functions.map((f: { functionId: string }) => f.functionId), ['mv-a']);
    const single = asAlb(await handler(albEvent({ method: 'GET', url: '/v1/spaces/multi/functions?metadata.team=other', headers: admin })));
    assert.deepEqual(single.headers, { 'content-type': 'application/json' });
    assert.deepEqual(JSON.parse(single.body).functions.map((f: { functionId: string }) => f.functionId), ['mv-b']);
  });

  it('decodes a base64 body in both shapes', async () => {
    const body = JSON.stringify({ name: 'base64.événement' });
    const v2 = asV2(await handler(apiGatewayV2Event({ method: 'POST', url: '/v1/spaces/b64/eventtypes', headers: admin, body, base64: true })));
    assert.equal(v2.statusCode, 201);
    assert.equal(v2.body, '{"space":"b64","name":"base64.événement"}\n');
    const alb = asAlb(await handler(albEvent({ method: 'POST', url: '/v1/spaces/b64/eventtypes', headers: admin, body: '{"name":"base64.alb"}', base64: true })));
    assert.equal(alb.statusCode, 201);
    assert.equal(alb.body, '{"space":"b64","name":"base64.alb"}\n');
  });

  it('serves the dead-letter endpoints over the DynamoDB store', async () => {
    const res = asV2(await handler(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/deadletters', headers: admin })));
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '{"deadLetters":[]}\n');
  });

  it('answers malformed events with a 400 envelope instead of throwing', async () => {
    const nothing = await handler({});
    assert.equal(nothing.statusCode, 400);
    assert.equal(nothing.body, '{"errors":[{"message":"Bad Request: the Lambda event is neither an ALB request nor an API Gateway HTTP API (payload 2.0) request."}]}\n');
    const noPath = asAlb(await handler({ ...albEvent({ method: 'GET', url: '/' }), path: undefined }));
    assert.equal(noPath.statusCode, 400);
    assert.equal(noPath.statusDescription, '400 Bad Request');
    assert.equal(noPath.body, '{"errors":[{"message":"Bad Request: the ALB event has no \\"path\\"."}]}\n');
    const badBase64 = asV2(await handler({ ...apiGatewayV2Event({ method: 'POST', url: '/v1/spaces/x/eventtypes', headers: admin }), body: '%%%', isBase64Encoded: true }));
    assert.equal(badBase64.statusCode, 400);
    assert.equal(badBase64.body, '{"errors":[{"message":"Bad Request: the API Gateway v2 event\'s body is flagged base64 but is not base64."}]}\n');
    const badHeaders = asV2(await handler({ ...apiGatewayV2Event({ method: 'GET', url: '/v1/status' }), headers: { authorization: 7 } }));
    assert.equal(badHeaders.statusCode, 400);
  });

  it('writes its request counts as EMF documents', () => {
    const documents = emf.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } });
    assert.ok(documents.length >= 10, `only ${documents.length} EMF documents`);
    for (const document of documents) {
      assert.equal(document.Service, 'config-api');
      const [directive] = document._aws.CloudWatchMetrics;
      assert.equal(directive?.Namespace, 'EventGateway');
      assert.deepEqual(directive?.Dimensions, [['Service']]);
      assert.deepEqual(directive?.Metrics.map((m) => m.Name).sort(), ['Requests', 'Status4xx', 'Status5xx']);
      assert.equal(document.Requests, 1);
    }
    assert.ok(documents.some((d) => d.Status4xx === 1), 'a 401 counted as 4xx');
  });

  it('never takes the admin key from a plain variable inside Lambda, but does in local runs', async () => {
    const plainKey = `egk_plain_${randomUUID()}`;
    const lambda = newHandler({ ...baseEnv(), EVENT_GATEWAY_ADMIN_KEY: plainKey });
    const inLambda = asV2(await lambda(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/eventtypes', headers: { authorization: `bearer ${plainKey}` } })));
    assert.equal(inLambda.statusCode, 401);
    const { AWS_LAMBDA_FUNCTION_NAME: _, ...localEnv } = baseEnv();
    const local = newHandler({ ...localEnv, EVENT_GATEWAY_ADMIN_KEY: plainKey });
    const inLocalRun = asV2(await local(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/eventtypes', headers: { authorization: `bearer ${plainKey}` } })));
    assert.equal(inLocalRun.statusCode, 200);
  });

  it('answers 500 with the envelope while the secret cannot be read, and reads it again on the next invocation', async () => {
    const name = `${RUN}/not-yet`;
    const failing = newHandler({ ...baseEnv(), EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: name });
    const first = asAlb(await failing(albEvent({ method: 'GET', url: '/v1/spaces/alb/eventtypes', headers: admin })));
    assert.equal(first.statusCode, 500);
    assert.equal(first.statusDescription, '500 Internal Server Error');
    assert.equal(first.body, `{"errors":[{"message":"${CONFIG_API_UNAVAILABLE}"}]}\n`);
    secrets.putSecret(name, JSON.stringify({ adminKey: ADMIN_KEY }));
    const second = asAlb(await failing(albEvent({ method: 'GET', url: '/v1/spaces/alb/eventtypes', headers: admin })));
    assert.equal(second.statusCode, 200);
    assert.equal(secrets.reads(name), 2);
  });

  it('stops accepting a rotated admin key within 5 minutes, and accepts the new one', async () => {
    const name = `${RUN}/rotated`;
    const oldKey = `old-${randomUUID()}`;
    const newKey = `new-${randomUUID()}`;
    secrets.putSecret(name, oldKey);
    let now = 1_000_000;
    const rotating = newHandler({ ...baseEnv(), EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: name }, undefined, () => now);
    const list = (key: string) => rotating(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/alb/eventtypes', headers: { authorization: `bearer ${key}` } })).then(asV2);

    assert.equal((await list(oldKey)).statusCode, 200);
    secrets.putSecret(name, newKey);
    now += 4 * 60_000;
    assert.equal((await list(oldKey)).statusCode, 200, 'within the cache time the old key still works');
    assert.equal(secrets.reads(name), 1);

    now += 60_000;
    assert.equal((await list(oldKey)).statusCode, 401, 'five minutes after it was read, the rotated key no longer works');
    assert.equal((await list(newKey)).statusCode, 200);
    assert.equal(secrets.reads(name), 2);
  });

  it('refuses an admin key cache longer than 5 minutes', () => {
    assert.throws(() => createHandler({ env: { ...baseEnv(), EVENT_GATEWAY_ADMIN_KEY_CACHE_MS: '300001' } }), /EVENT_GATEWAY_ADMIN_KEY_CACHE_MS="300001" is not valid: expected a whole number from 0 to 300000/);
  });

  // The Lambda API is a fake (REST-JSON on 127.0.0.1, through the real SDK client): no AWS account can be reached here.
  it('serves the connections API at the same paths, mapping each connection to the connector (fake Lambda API)', async () => {
    const lambda = await FakeLambda.start();
    try {
      lambda.setFunction('eg-connector');
      const connector = 'arn:aws:lambda:eu-west-1:123456789012:function:eg-connector';
      const withConnector = createHandler({
        env: { ...baseEnv(), EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: secretArn, EVENT_GATEWAY_CONNECTOR_FUNCTION_ARN: connector },
        secretsManager: awsClientConfig(secrets.endpoint),
        lambda: { ...awsClientConfig(lambda.endpoint), region: 'eu-west-1' },
        writeMetrics: () => {},
      });
      handlers.push(withConnector);
      const body = JSON.stringify({ connectionId: 'clicks', eventType: 'click', type: 'awskinesis', source: { streamName: 'clicks', region: 'eu-west-1' }, metadata: { service: 'web' } });
      const created = asV2(await withConnector(apiGatewayV2Event({ method: 'POST', url: '/v1/spaces/web/connections', headers: admin, body })));
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.body, '{"space":"web","connectionId":"clicks","eventType":"click","type":"awskinesis","source":{"streamName":"clicks","region":"eu-west-1"},"metadata":{"service":"web"}}\n');
      assert.deepEqual([...lambda.mappings.values()].map((m) => [m.EventSourceArn, m.FunctionArn]), [['arn:aws:kinesis:eu-west-1:123456789012:stream/clicks', connector]]);
      const listed = asV2(await withConnector(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/web/connections?metadata.service=web', headers: admin })));
      assert.equal(JSON.parse(listed.body).connections.length, 1);
      const unauthorized = asV2(await withConnector(apiGatewayV2Event({ method: 'GET', url: '/v1/spaces/web/connections' })));
      assert.equal(unauthorized.statusCode, 401);
      const deleted = asV2(await withConnector(apiGatewayV2Event({ method: 'DELETE', url: '/v1/spaces/web/connections/clicks', headers: admin })));
      assert.equal(deleted.statusCode, 204);
      assert.equal([...lambda.mappings.values()].filter((m) => m.State !== 'Deleting').length, 0);
    } finally {
      await lambda.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import middy from '@middy/core';
import { ForbiddenError } from '../../../lib/core/errors/index.js';
import {
  ADMIN_KEY_INTERNAL_KEY,
  AdminKeySecretError,
  AdminKeySource,
  EmfMetrics,
  METRICS_INTERNAL_KEY,
  adminKeyFromSecret,
  configApiErrors,
  embeddedMetrics,
  lambdaSettingsFromEnv,
  waitForRoutingVersion,
  type AdminKeyContext,
  type LambdaContext,
  type MetricsContext,
} from '../../../lib/lambda/index.js';
import { FakeSecretsManager } from '../fakes/secrets-manager.js';
import { awsClientConfig } from '../helpers.js';
import { albEvent, apiGatewayV2Event } from './events.js';

describe('the Lambda middleware [lambda-handler]', () => {
  let secrets: FakeSecretsManager;
  before(async () => {
    secrets = await FakeSecretsManager.start();
  });
  after(() => secrets.stop());

  describe('EmfMetrics', () => {
    it('writes counts and values as one EMF document per 100 metrics', () => {
      const metrics = new EmfMetrics('EventGateway', { Service: 'delivery' });
      metrics.count('Delivered');
      metrics.count('Delivered', 2);
      metrics.count('Failed', 0);
      metrics.record('Lag', 12, 'Milliseconds');
      metrics.record('Lag', 30, 'Milliseconds');
      const [document, ...rest] = metrics.drain(1_700_000_000_000);
      assert.equal(rest.length, 0);
      assert.deepEqual(JSON.parse(document!), {
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: 'EventGateway',
              Dimensions: [['Service']],
              Metrics: [
                { Name: 'Delivered', Unit: 'Count' },
                { Name: 'Failed', Unit: 'Count' },
                { Name: 'Lag', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        Service: 'delivery',
        Delivered: 3,
        Failed: 0,
        Lag: [12, 30],
      });
      assert.deepEqual(metrics.drain(), []);
      for (let i = 0; i < 150; i++) metrics.count(`M${i}`);
      const documents = metrics.drain().map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: unknown[] }[] } });
      assert.deepEqual(documents.map((d) => d._aws.CloudWatchMetrics[0]!.Metrics.length), [100, 50]);
    });
  });

  describe('embeddedMetrics()', () => {
    it('hands the handler its metrics through the context and request.internal, and writes them after it', async () => {
      const written: string[] = [];
      let internal: unknown;
      const handler = middy(async (_event: unknown, context: LambdaContext & MetricsContext) => {
        context.eventGatewayMetrics?.count('Handled');
        return { statusCode: 204 };
      })
        .use(embeddedMetrics<{ statusCode: number }>({
          service: 'unit',
          write: (line) => written.push(line),
          fromResult: (result, metrics) => metrics.count(`Status${result.statusCode}`),
        }))
        .use({ after: (request) => void (internal = request.internal[METRICS_INTERNAL_KEY]) });
      assert.deepEqual(await handler({}, {} as never), { statusCode: 204 });
      assert.ok(internal instanceof EmfMetrics);
      assert.equal(written.length, 1);
      const document = JSON.parse(written[0]!) as Record<string, unknown>;
      assert.equal(document.Handled, 1);
      assert.equal(document.Status204, 1);
      assert.equal(document.Service, 'unit');
    });

    it('still writes when the handler throws, counting Errors, and lets the error through', async () => {
      const written: string[] = [];
      const handler = middy(async (_event: unknown, context: LambdaContext & MetricsContext) => {
        context.eventGatewayMetrics?.count('Started');
        throw new Error('boom');
      }).use(embeddedMetrics({ service: 'unit', write: (line) => written.push(line) }));
      await assert.rejects(handler({}, {} as never), /boom/);
      const document = JSON.parse(written[0]!) as Record<string, unknown>;
      assert.equal(document.Started, 1);
      assert.equal(document.Errors, 1);
    });
  });

  describe('configApiErrors()', () => {
    it('turns any error into an envelope in the event\'s shape: its status for an HttpError, else a 500 that leaks nothing', async () => {
      const logged: unknown[] = [];
      const failWith = (error: Error) =>
        middy(async () => {
          throw error;
        }).use(configApiErrors({ log: (e) => logged.push(e) }));
      const forbidden = await failWith(new ForbiddenError('Forbidden: nope.'))(albEvent({ method: 'GET', url: '/' }), {} as never);
      assert.deepEqual(forbidden, {
        statusCode: 403,
        statusDescription: '403 Forbidden',
        headers: { 'content-type': 'application/json' },
        body: '{"errors":[{"message":"Forbidden: nope."}]}\n',
        isBase64Encoded: false,
      });
      const internal = await failWith(new Error('connect ECONNREFUSED 10.0.0.1:443'))(apiGatewayV2Event({ method: 'GET', url: '/' }), {} as never);
      assert.equal(internal.statusCode, 500);
      assert.doesNotMatch(internal.body, /ECONNREFUSED/);
      assert.equal(logged.length, 2);
    });
  });

  describe('adminKeyFromSecret()', () => {
    const clientConfig = () => awsClientConfig(secrets.endpoint);

    it('reads the key once per container, from a plain or a JSON secret, and puts it under request.internal', async () => {
      const plainArn = secrets.putSecret('mw/plain', '  egk_plain  ');
      const jsonArn = secrets.putSecret('mw/json', '{"adminKey":"egk_json","note":"generated"}');
      const seen: unknown[] = [];
      const handler = middy(async (_event: unknown, context: LambdaContext & AdminKeyContext) => context.eventGatewayAdminKey)
        .use(adminKeyFromSecret({ env: { EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: plainArn }, clientConfig: clientConfig() }))
        .use({ before: (request) => void seen.push(request.internal[ADMIN_KEY_INTERNAL_KEY]) });
      assert.equal(await handler({}, {} as never), 'egk_plain');
      assert.equal(await handler({}, {} as never), 'egk_plain');
      assert.deepEqual(seen, ['egk_plain', 'egk_plain']);
      assert.equal(secrets.reads(plainArn), 1);
      const json = new AdminKeySource({ env: { EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: jsonArn }, clientConfig: clientConfig() });
      assert.equal(await json.get(), 'egk_json');
    });

    it('fails with a message naming the secret when it holds no key, and tries again next time', async () => {
      const emptyArn = secrets.putSecret('mw/empty', '{"other":"x"}');
      const source = new AdminKeySource({ env: { EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: emptyArn }, clientConfig: clientConfig() });
      await assert.rejects(source.get(), (error: unknown) => {
        assert.ok(error instanceof AdminKeySecretError);
        assert.equal(error.message, `could not read the admin key from Secrets Manager secret ${emptyArn}: the secret is a JSON object without a non-empty string "adminKey"`);
        return true;
      });
      secrets.fail(emptyArn, { error: 'AccessDeniedException', message: 'not allowed' });
      await assert.rejects(source.get(), /AccessDeniedException|not allowed/);
      assert.equal(secrets.reads(emptyArn), 2);
    });

    it('ignores a plain EVENT_GATEWAY_ADMIN_KEY inside Lambda, with a warning, and honours it elsewhere', async () => {
      const warnings: string[] = [];
      const inLambda = new AdminKeySource({ env: { AWS_LAMBDA_FUNCTION_NAME: 'f', EVENT_GATEWAY_ADMIN_KEY: 'egk_env' }, warn: (m) => warnings.push(m) });
      assert.equal(await inLambda.get(), undefined);
      assert.deepEqual(warnings, [
        'EVENT_GATEWAY_ADMIN_KEY is ignored inside Lambda: store the key in Secrets Manager and set EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN',
      ]);
      assert.equal(await new AdminKeySource({ env: { EVENT_GATEWAY_ADMIN_KEY: 'egk_env' } }).get(), 'egk_env');
      assert.equal(await new AdminKeySource({ env: {} }).get(), undefined);
    });
  });

  describe('waitForRoutingVersion()', () => {
    it('resolves true once a swap reaches the version, false at the timeout', async () => {
      const listeners = new Set<() => void>();
      const routing = {
        builtVersion: 3,
        onSwap(listener: () => void) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      };
      assert.equal(await waitForRoutingVersion(routing as never, 3, 10), true);
      const waiting = waitForRoutingVersion(routing as never, 5, 1000);
      routing.builtVersion = 4;
      for (const listener of listeners) listener();
      routing.builtVersion = 5;
      for (const listener of listeners) listener();
      assert.equal(await waiting, true);
      assert.equal(listeners.size, 0);
      assert.equal(await waitForRoutingVersion(routing as never, 9, 20), false);
      assert.equal(listeners.size, 0);
    });
  });

  describe('lambdaSettingsFromEnv()', () => {
    it('applies the defaults and names the variable of a bad value', () => {
      assert.deepEqual(lambdaSettingsFromEnv({}), {
        logLevel: 'info',
        cloudEventsVersion: '0.1',
        allowTargets: undefined,
        maxIdLength: 256,
        maxJsonDepth: 64,
        publicMetrics: false,
        metricsNamespace: 'EventGateway',
        workers: 64,
        accessKeyCacheMs: 5000,
        adminKeyCacheMs: 300_000,
        // Set by the stack for the config API and the connector Lambda; unset, connections are only stored.
        connectorFunctionArn: undefined,
        eventsUrl: undefined,
      });
      assert.throws(() => lambdaSettingsFromEnv({ EVENT_GATEWAY_CLOUDEVENTS_VERSION: '2.0' }), {
        message: 'EVENT_GATEWAY_CLOUDEVENTS_VERSION="2.0" is not valid: expected 0.1 or 1.0',
      });
      assert.throws(() => lambdaSettingsFromEnv({ EVENT_GATEWAY_MAX_JSON_DEPTH: '0' }), /EVENT_GATEWAY_MAX_JSON_DEPTH="0"/);
    });
  });
});

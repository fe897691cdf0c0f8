import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call } from '../helpers/http.js';

/**
 * The Serverless Framework plugin for the Event Gateway, its own code unchanged, driven the way `serverless deploy`
 * and `serverless remove` drive it. Which code:
 * - by default the npm package `@serverless/serverless-event-gateway-plugin` (0.7.8, the latest release; it predates
 *   connections);
 * - with `EG_TEST_SERVERLESS_PLUGIN_DIR`, a copy of the plugin's repository at another commit (its latest code,
 *   which syncs `custom.connections`, is not released to npm). Its dependencies must resolve from that directory:
 *   put it under this project's node_modules (e.g. `node_modules/.eg-plugin-latest`) or run `npm install` in it.
 */
const require = createRequire(import.meta.url);
const pluginDir = process.env['EG_TEST_SERVERLESS_PLUGIN_DIR'];
const pluginPath = pluginDir ? join(resolve(pluginDir), 'src', 'index.js') : '@serverless/serverless-event-gateway-plugin';
type Hook = () => unknown;
interface Plugin {
  hooks: Record<string, Hook>;
}
const EGPlugin = require(pluginPath) as (new (serverless: unknown, options: unknown) => Plugin) & { prototype: Record<string, unknown> };
/** The plugin's latest code syncs `custom.connections` (manageConnections); the 0.7.8 release does not. */
const syncsConnections = typeof EGPlugin.prototype['manageConnections'] === 'function';
/**
 * With `EG_TEST_PLUGIN_DEFAULT_PORTS=1`, the plugin is pointed at a gateway the caller started on its default ports
 * (`npm start`: 4000, 4001, 4002) and is given no connectorUrl, as a new user would run it. Off by default: a test
 * run must not depend on those ports being free.
 */
const defaultPorts = process.env['EG_TEST_PLUGIN_DEFAULT_PORTS'] === '1';
const pluginName = pluginDir ? `the plugin's code from ${pluginDir}` : '@serverless/serverless-event-gateway-plugin from npm';

// The connections' sources point at a closed port on loopback: the gateway's pollers of this test read nothing and
// never reach beyond 127.0.0.1 (the SDK clients honour the per-service endpoint variables).
const CLOSED = 'http://127.0.0.1:9';
for (const service of ['KINESIS', 'SQS', 'DYNAMODB_STREAMS']) process.env[`AWS_ENDPOINT_URL_${service}`] = CLOSED;

const SERVICE = 'orders';
const STAGE = 'dev';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

const CONNECTIONS = {
  clicks: { type: 'awskinesis', eventType: 'order.placed', source: { streamName: 'clicks', region: REGION } },
  jobs: { type: 'awssqs', eventType: 'order.placed', source: { queueUrl: `${CLOSED}/${ACCOUNT}/jobs`, region: REGION } },
  pizza: { type: 'amqp', eventType: 'order.placed', source: { url: 'amqp://127.0.0.1:9/', queueName: 'pizza' } },
} as const;

interface Urls {
  eventsUrl: string;
  configUrl: string;
  connectorUrl: string;
}

/**
 * A stand-in for what the Framework hands a plugin (the `serverless` object: service config, CLI, AWS provider):
 * the Framework itself and CloudFormation (a real AWS account) cannot run here. The stack outputs are what
 * `serverless deploy` would have made: the function's versioned ARN and the access key of the plugin's IAM user.
 */
function framework(urls: Urls, connections: ReadonlyArray<keyof typeof CONNECTIONS>) {
  const log: string[] = [];
  const awsProvider = {
    getStage: () => STAGE,
    getRegion: () => REGION,
    naming: {
      getStackName: () => `${SERVICE}-${STAGE}`,
      getLambdaLogicalId: (key: string) => `${key[0]!.toUpperCase()}${key.slice(1)}LambdaFunction`,
      getLambdaVersionOutputLogicalId: (key: string) => `${key[0]!.toUpperCase()}${key.slice(1)}LambdaFunctionQualifiedArn`,
    },
    async request(service: string, method: string, params: { StackName: string }) {
      assert.deepEqual([service, method, params.StackName], ['CloudFormation', 'describeStacks', `${SERVICE}-${STAGE}`]);
      return {
        Stacks: [
          {
            Outputs: [
              { OutputKey: 'CreateLambdaFunctionQualifiedArn', OutputValue: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${SERVICE}-${STAGE}-create:7` },
              { OutputKey: 'EventGatewayUserAccessKey', OutputValue: 'AKIAIOSFODNN7EXAMPLE' },
              { OutputKey: 'EventGatewayUserSecretKey', OutputValue: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
            ],
          },
        ],
      };
    },
  };
  const serverless = {
    service: {
      service: SERVICE,
      custom: {
        // Without a connectorUrl the plugin (through the SDK) uses its default, http://localhost:4002.
        eventgateway: defaultPorts
          ? { url: urls.eventsUrl, configurationUrl: urls.configUrl }
          : { url: urls.eventsUrl, configurationUrl: urls.configUrl, connectorUrl: urls.connectorUrl },
        eventTypes: { 'order.placed': null },
        // A fresh copy each time, as the Framework reads serverless.yml anew: the plugin adds metadata to what it sends.
        connections: connections.map((name) => structuredClone(CONNECTIONS[name])),
      },
      functions: {
        create: {
          name: `${SERVICE}-${STAGE}-create`,
          handler: 'handler.create',
          events: [{ eventgateway: { type: 'async', eventType: 'order.placed', path: '/orders' } }],
        },
      },
      provider: { name: 'aws', compiledCloudFormationTemplate: { Resources: {}, Outputs: {} } },
    },
    getProvider: (name: string) => (name === 'aws' ? awsProvider : undefined),
    cli: { consoleLog: (line: string) => log.push(line), log: (line: string) => log.push(line), generateCommandsHelp: () => {} },
    utils: {},
  };
  return { serverless, log };
}

/** `serverless deploy`: a new plugin instance, then its hooks of the deploy lifecycle in the Framework's order. */
async function deploy(urls: Urls, connections: ReadonlyArray<keyof typeof CONNECTIONS>): Promise<string[]> {
  const { serverless, log } = framework(urls, connections);
  const plugin = new EGPlugin(serverless, {});
  for (const event of ['package:initialize', 'package:compileEvents', 'before:deploy:finalize']) await plugin.hooks[event]!();
  return log;
}

/** `serverless remove`. */
async function remove(urls: Urls): Promise<string[]> {
  const { serverless, log } = framework(urls, []);
  const plugin = new EGPlugin(serverless, {});
  await plugin.hooks['remove:remove']!();
  return log;
}

interface Connection {
  connectionId: string;
  type: string;
  eventType: string;
  source: Record<string, unknown>;
  metadata?: Record<string, string>;
}

describe(`the Serverless Framework plugin (${pluginName}, driven through a stand-in Framework object) against ${defaultPorts ? 'the gateway on its default ports' : 'a started gateway'}`, () => {
  const api = gatewayForSuite();
  const urls = (): Urls => {
    if (defaultPorts) return { eventsUrl: 'http://localhost:4000', configUrl: 'http://localhost:4001', connectorUrl: 'http://localhost:4002' };
    const { eventsUrl, configUrl, connectorUrl } = api.gw;
    assert.ok(connectorUrl, 'the gateway serves the connections API');
    return { eventsUrl, configUrl, connectorUrl };
  };
  const get = async <T>(base: string, path: string): Promise<T> => {
    const res = await call(base, 'GET', path);
    assert.equal(res.status, 200, res.text);
    return res.json<T>();
  };
  const connections = () => get<{ connections: Connection[] }>(urls().connectorUrl, '/v1/spaces/default/connections').then((b) => b.connections);
  const serviceConnections = () =>
    get<{ connections: Connection[] }>(urls().connectorUrl, `/v1/spaces/default/connections?metadata.service=${SERVICE}&metadata.stage=${STAGE}`).then((b) => b.connections);
  const functions = () => get<{ functions: Array<{ functionId: string; type: string; provider: Record<string, unknown> }> }>(urls().configUrl, '/v1/spaces/default/functions').then((b) => b.functions);
  const subscriptions = () => get<{ subscriptions: Array<Record<string, unknown>> }>(urls().configUrl, '/v1/spaces/default/subscriptions').then((b) => b.subscriptions);
  const eventTypes = () => get<{ eventTypes: Array<{ name: string }> }>(urls().configUrl, '/v1/spaces/default/eventtypes').then((b) => b.eventTypes.map((t) => t.name).sort());
  const bySource = (list: Connection[]) => list.map(({ type, eventType, source }) => ({ type, eventType, source })).sort((a, b) => a.type.localeCompare(b.type));
  const expected = (names: ReadonlyArray<keyof typeof CONNECTIONS>) => bySource(names.map((n) => ({ connectionId: '', ...structuredClone(CONNECTIONS[n]) }) as unknown as Connection));

  let clicksId = '';

  it('deploys: the function, its subscription, the event type and (latest code) the connections of custom.connections', async () => {
    const log = await deploy(urls(), ['clicks', 'jobs', 'pizza']);
    assert.deepEqual(
      (await functions()).map((f) => ({ functionId: f.functionId, type: f.type, arn: f.provider['arn'], region: f.provider['region'] })),
      [{ functionId: `${SERVICE}-${STAGE}-create`, type: 'awslambda', arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${SERVICE}-${STAGE}-create`, region: REGION }],
    );
    const subs = await subscriptions();
    assert.deepEqual(
      subs.map((s) => [s['type'], s['eventType'], s['functionId'], s['method'], s['path']]),
      [['async', 'order.placed', `${SERVICE}-${STAGE}-create`, 'POST', '/default/orders']],
    );
    assert.deepEqual(await eventTypes(), ['order.placed']);
    if (!syncsConnections) {
      assert.deepEqual(await connections(), [], 'this plugin version never calls the connections API');
      return;
    }
    assert.ok(log.some((l) => /Connection "awskinesis" created/.test(l)), log.join('\n'));
    const listed = await connections();
    assert.deepEqual(bySource(listed), expected(['clicks', 'jobs', 'pizza']));
    assert.ok(listed.every((c) => c.metadata?.['service'] === SERVICE && c.metadata['stage'] === STAGE));
    assert.equal((await serviceConnections()).length, 3);
    clicksId = listed.find((c) => c.type === 'awskinesis')!.connectionId;
  });

  it('redeploys with one connection removed: that one is deleted, the others are kept as they were (not re-created)', async (t) => {
    if (!syncsConnections) t.skip(`${pluginName} predates connections (set EG_TEST_SERVERLESS_PLUGIN_DIR to its latest code)`);
    else {
      const log = await deploy(urls(), ['clicks', 'pizza']);
      assert.ok(log.some((l) => /Connection "awssqs" deleted/.test(l)), log.join('\n'));
      assert.ok(!log.some((l) => /created/.test(l)), `nothing re-created:\n${log.join('\n')}`);
      const listed = await connections();
      assert.deepEqual(bySource(listed), expected(['clicks', 'pizza']));
      assert.equal(listed.find((c) => c.type === 'awskinesis')!.connectionId, clicksId);
    }
    // The function and its subscription are unchanged by a redeploy.
    assert.equal((await functions()).length, 1);
    assert.equal((await subscriptions()).length, 1);
  });

  it('removes the service: subscriptions, event types and functions go; the connections stay (the plugin never deletes them on remove)', async () => {
    const before = syncsConnections ? await connections() : [];
    await remove(urls());
    assert.deepEqual(await subscriptions(), []);
    assert.deepEqual(await functions(), []);
    // The plugin deletes every event type, also those its connections still name: the gateway allows it.
    assert.deepEqual(await eventTypes(), []);
    assert.deepEqual(await connections(), before);
    if (syncsConnections) {
      // A deploy of the service without connections is what takes them away.
      await deploy(urls(), []);
      assert.deepEqual(await serviceConnections(), []);
      await remove(urls());
    }
  });
});

/**
 * The config API on Lambda (docs/architecture.md#on-aws): the same handlers as local mode, behind an ALB target group
 * or an API Gateway HTTP API (payload 2.0), on the DynamoDB stores, with access keys required.
 */
import middy from '@middy/core';
import type { LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { ConnectionRuntime } from '../lib/connectors/runtime.js';
import type { Registry } from '../lib/ports/registry.js';
import { lambdaConfigHandler, type LambdaHttpResult } from '../lib/config-api/adapters/index.js';
import { awsResourceOptionsFromEnv, openDynamoStores, openSqsQueue } from '../lib/gateway/aws.js';
import { envName } from '../lib/settings/index.js';
import { composeGateway } from '../lib/gateway/compose.js';
import {
  ColdStart,
  adminKeyFromSecret,
  configApiErrors,
  countHttpResult,
  embeddedMetrics,
  lambdaSettingsFromEnv,
  type AdminKeyContext,
  type LambdaContext,
} from '../lib/lambda/index.js';
import { GatewayMetrics } from '../lib/observability/metrics.js';
import { createLogger, type Logger } from '../lib/observability/logger.js';

export interface ConfigApiHandlerDeps {
  /** Settings and resources (their variables: lib/settings). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The admin key secret's client settings. @default the SDK's defaults */
  secretsManager?: SecretsManagerClientConfig;
  /** @default JSON lines on stdout at the `logLevel` setting's level */
  logger?: Logger;
  /** Receives each EMF document. @default stdout */
  writeMetrics?: (document: string) => void;
  /** The clock of the admin key's cache. @default Date.now */
  now?: () => number;
  /** The Lambda client that manages the connector's event source mappings. @default the SDK's defaults */
  lambda?: LambdaClientConfig;
}

export type ConfigApiHandler = ((event: unknown, context?: LambdaContext) => Promise<LambdaHttpResult>) & {
  /** Releases the cold start's clients (tests). */
  close(): Promise<void>;
};

export function createHandler(deps: ConfigApiHandlerDeps = {}): ConfigApiHandler {
  const env = deps.env ?? process.env;
  const settings = lambdaSettingsFromEnv(env);
  const logger = deps.logger ?? createLogger({ level: settings.logLevel });

  const app = new ColdStart(async () => {
    const resources = awsResourceOptionsFromEnv(env);
    const stores = await openDynamoStores(resources);
    const sqs = openSqsQueue(resources);
    const connections = await connectionRuntime(settings.connectorFunctionArn, stores.registry, deps.lambda, logger);
    const composed = await composeGateway({
      stores: { ...stores, queue: sqs.queue },
      metrics: new GatewayMetrics({ processMetrics: false }),
      logger,
      configApi: {
        limits: { maxIdLength: settings.maxIdLength, maxJsonDepth: settings.maxJsonDepth },
        required: true,
        publicMetrics: settings.publicMetrics,
        cacheTtlMs: settings.accessKeyCacheMs,
        connections: connections.runtime,
      },
    });
    return { stores, sqs, connections, configApi: composed.configApi, byAdminKey: new Map<string | undefined, ReturnType<typeof lambdaConfigHandler>>() };
  });

  /** One API per admin key: a new one when the key was rotated (read again after `adminKeyCacheMs`), the old one dropped. */
  const serve = async (adminKey: string | undefined) => {
    const { configApi, byAdminKey } = await app.get();
    let handle = byAdminKey.get(adminKey);
    if (!handle) {
      byAdminKey.clear();
      if (adminKey === undefined) logger.warn(`no admin key: set ${envName('adminKeySecretArn')}, or create keys with \`event-gateway keys create\``);
      handle = lambdaConfigHandler(configApi(adminKey));
      byAdminKey.set(adminKey, handle);
    }
    return handle;
  };

  const handler = middy(async (event: unknown, context: LambdaContext & AdminKeyContext): Promise<LambdaHttpResult> => {
    const handle = await serve(context.eventGatewayAdminKey);
    return handle(event);
  })
    .use(embeddedMetrics<LambdaHttpResult>({
      service: 'config-api',
      namespace: settings.metricsNamespace,
      fromResult: countHttpResult,
      write: deps.writeMetrics,
    }))
    .use(configApiErrors({ log: (error) => logger.error({ err: error }, 'config API invocation failed') }))
    .use(adminKeyFromSecret({
      env,
      cacheMs: settings.adminKeyCacheMs,
      now: deps.now,
      clientConfig: deps.secretsManager,
      warn: (message) => logger.warn(message),
    }));

  return Object.assign((event: unknown, context: LambdaContext = {}) => handler(event, context as never) as Promise<LambdaHttpResult>, {
    async close() {
      const started = await app.started?.catch(() => undefined);
      if (!started) return;
      started.connections.close();
      await started.sqs.queue.close();
      started.sqs.client.destroy();
      await started.stores.close();
    },
  });
}


/**
 * What runs connections on AWS: the event source mappings to the connector Lambda, reconciled on every change of a
 * connection through this API. Without the connector's ARN (a stack without it), connections are only stored.
 */
async function connectionRuntime(
  functionArn: string | undefined,
  registry: Registry,
  clientConfig: LambdaClientConfig | undefined,
  logger: Logger,
): Promise<{ runtime: ConnectionRuntime; close(): void }> {
  if (!functionArn) {
    logger.warn(`${envName('connectorFunctionArn')} is not set: connections are stored, but nothing reads their sources`);
    return { runtime: { apply: async () => {}, sync: async () => {}, stop: async () => {} }, close: () => {} };
  }
  const [{ LambdaClient }, { EventSourceMappings }] = await Promise.all([import('@aws-sdk/client-lambda'), import('../lib/connectors/aws/index.js')]);
  const client = new LambdaClient(clientConfig ?? {});
  const runtime = new EventSourceMappings({ client, functionArn, connections: () => registry.listAllConnections(), logger });
  return { runtime, close: () => client.destroy() };
}

export const handler = createHandler();

import type { CloudEventsVersion } from '../core/cloudevents/index.js';
import type { ModelLimits } from '../core/model/index.js';
import {
  AccessControl,
  AccessKeyService,
  ConfigService,
  ConnectionsService,
  DeadLetterService,
  createConfigApi,
  type ConfigHandler,
} from '../config-api/index.js';
import type { ConnectionRuntime } from '../connectors/runtime.js';
import { DeliveryWorkers } from '../delivery/worker.js';
import { InvokerRegistry, SystemEvents, type LiveRoutingTable } from '../dispatch/index.js';
import { HookRunner, type GatewayHooks } from '../hooks/index.js';
import type { TargetPolicy } from '../invokers/http/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { AccessKeyStore } from '../ports/access-keys.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { DeliveryQueue } from '../ports/delivery-queue.js';
import type { Registry } from '../ports/registry.js';

/** The ports every process opens (lib/gateway/stores.ts locally, lib/gateway/aws.ts on AWS). */
export interface ComposedStores {
  registry: Registry;
  queue: DeliveryQueue;
  deadLetters: DeadLetterStore;
  accessKeys: AccessKeyStore;
}

/** What calls functions: the invoker registry, the system events, and (unless `workers` is false) the delivery loop. */
export interface DispatchInput {
  routing: LiveRoutingTable;
  /** The SSRF guard of http functions. */
  targetPolicy: TargetPolicy;
  /** @default none */
  hooks?: readonly GatewayHooks[];
  /** @default '0.1' */
  cloudEventsVersion?: CloudEventsVersion;
  /** The delivery workers' settings; false when another process delivers (the router container on AWS). */
  workers: false | { concurrency?: number; yieldBacklog?: number };
}

export interface ConfigApiInput {
  limits: ModelLimits;
  /** Access keys are required (false in dev mode). */
  required: boolean;
  publicMetrics?: boolean;
  loopbackMetrics?: boolean;
  /** How long a key lookup is reused. @default 0 */
  cacheTtlMs?: number;
  /** Serve only `/v1/status` and `/v1/metrics`. @default false */
  adminOnly?: boolean;
  /** Redriven dead letters count in this process's backlog gauge (the process that delivers them). @default false */
  countRedrivenInBacklog?: boolean;
  /** What runs the connections (local pollers, or the AWS event source mappings); the connections API needs it. */
  connections?: ConnectionRuntime;
}

export interface ComposeInput {
  stores: ComposedStores;
  metrics: GatewayMetrics;
  logger: Logger;
  dispatch?: DispatchInput;
  configApi?: ConfigApiInput;
}

export interface Dispatch {
  readonly invokers: InvokerRegistry;
  readonly hooks: HookRunner;
  readonly systemEvents: SystemEvents;
  readonly workers: DeliveryWorkers | undefined;
}

/**
 * The config API for one admin key (the config-API Lambda makes a new one when the key rotates). `'connector'`: only
 * status, metrics and the connections API (local mode's connector port).
 */
export type ConfigApiFactory = (adminKey: string | undefined, surface?: 'config' | 'connector') => ConfigHandler;

export type Composition<I extends ComposeInput> = {
  /** Releases what the composition opened (the invokers' connections); the stores stay open. */
  close(): Promise<void>;
} & (I['dispatch'] extends DispatchInput ? { dispatch: Dispatch } : unknown) &
  (I['configApi'] extends ConfigApiInput ? { configApi: ConfigApiFactory } : unknown);

/**
 * The one place that wires the gateway's parts onto its stores: the invoker registry, the system events, the delivery
 * workers and the config API. Local mode and the router container (lib/gateway/local.ts), the delivery Lambda and
 * the config-API Lambda (functions/) each ask for the parts they run. The invokers load only when dispatch is asked
 * for, so the config-API Lambda never loads them.
 */
export async function composeGateway<I extends ComposeInput>(input: I): Promise<Composition<I>> {
  const { stores, metrics, logger } = input;
  const dispatch = input.dispatch ? await composeDispatch(input.dispatch, stores, metrics, logger) : undefined;
  const config = input.configApi;
  const connections = config?.connections && new ConnectionsService(stores.registry, config.connections);
  const configApi: ConfigApiFactory | undefined = config
    ? (adminKey, surface = 'config') => {
        const access = new AccessControl({
          store: stores.accessKeys,
          required: config.required,
          adminKey,
          publicMetrics: config.publicMetrics,
          loopbackMetrics: config.loopbackMetrics,
          cacheTtlMs: config.cacheTtlMs,
        });
        const onRedriven = config.countRedrivenInBacklog ? (count: number) => metrics.eventsBacklog.inc(count) : undefined;
        return createConfigApi({
          service: new ConfigService(stores.registry, config.limits),
          deadLetters: new DeadLetterService(stores.deadLetters, stores.queue, onRedriven),
          access,
          accessKeys: new AccessKeyService(stores.accessKeys, (hash) => access.forget(hash)),
          metrics,
          logger,
          adminOnly: config.adminOnly,
          connections,
          connectorOnly: surface === 'connector',
        });
      }
    : undefined;
  return {
    dispatch,
    configApi,
    async close() {
      await dispatch?.invokers.close();
    },
  } as Composition<I>;
}

async function composeDispatch(input: DispatchInput, stores: ComposedStores, metrics: GatewayMetrics, logger: Logger): Promise<Dispatch> {
  // The AWS SDK clients load on the first call of a function of that type.
  const { FirehoseInvoker, HttpInvoker, KinesisInvoker, LambdaInvoker, SqsInvoker } = await import('../invokers/index.js');
  const http = new HttpInvoker({
    targetPolicy: input.targetPolicy,
    onRefused: (url, address, reason) => logger.warn({ url, address, reason }, 'http call refused by the SSRF guard'),
    onTokenFetch: (fn, authType, outcome) =>
      metrics.tokenFetches.inc({ space: fn.space, function: fn.functionId, auth_type: authType, outcome }),
  });
  const invokers = new InvokerRegistry([http, new LambdaInvoker(), new KinesisInvoker(), new FirehoseInvoker(), new SqsInvoker()]);
  const hooks = new HookRunner(input.hooks ?? [], logger);
  const { queue, deadLetters } = stores;
  const systemEvents = new SystemEvents({ queue, hooks, metrics, logger, version: input.cloudEventsVersion ?? '0.1' });
  const workers = input.workers === false
    ? undefined
    : new DeliveryWorkers({
        queue, routing: input.routing, invokers, systemEvents, metrics, logger, deadLetters,
        concurrency: input.workers.concurrency,
        yieldBacklog: input.workers.yieldBacklog,
      });
  return { invokers, hooks, systemEvents, workers };
}

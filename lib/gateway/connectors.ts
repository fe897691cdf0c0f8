import { hostname } from 'node:os';
import { ConnectorManager, ConnectorMetrics, HttpSink, RecordIntake, type EventSink, type PollerTiming } from '../connectors/index.js';
import type { ConnectionRuntime } from '../connectors/runtime.js';
import { storedConnectionDeadLetters } from '../connectors/dead-letters.js';
import { RoutingSink } from '../connectors/routing-sink.js';
import type { CloudEventsVersion } from '../core/cloudevents/index.js';
import { CONNECTION_INVALID } from '../core/connections/index.js';
import { BadRequestError } from '../core/errors/index.js';
import type { Connection } from '../core/connections/index.js';
import type { LiveRoutingTable } from '../dispatch/index.js';
import { isAddressAllowed, normaliseHostLiteral, type TargetPolicy } from '../invokers/http/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { DeliveryQueue } from '../ports/delivery-queue.js';

export interface LocalConnectorsInput {
  routing: LiveRoutingTable;
  queue: DeliveryQueue;
  deadLetters: DeadLetterStore;
  checkpoints: CheckpointStore;
  metrics: GatewayMetrics;
  logger: Logger;
  /** @default '0.1' */
  cloudEventsVersion?: CloudEventsVersion;
  /** The SSRF guard of http functions, applied to the `target` of connections that emit over HTTP. */
  targetPolicy: TargetPolicy;
  /** Whether a connection's `target` URL names this gateway's events API (read at each event: the port is known late). */
  isThisGateway: (target: URL) => boolean;
  /** The pollers' timing (tests shorten it). @default the pollers' defaults */
  timing?: PollerTiming;
}

/**
 * The local runtime of connections: one poller per connection in this process. Events of a connection whose `target`
 * is empty or names this gateway go into the space's routing in-process (no HTTP hop; a full queue makes the poller
 * wait and offer them again); other targets get them over HTTP. Records refused for good are dead letters of the
 * space, carrying the connection's id. Its metrics join the gateway's `/v1/metrics`.
 */
export function localConnectors(input: LocalConnectorsInput): ConnectionRuntime {
  const inProcess = new RoutingSink({ routing: input.routing, queue: input.queue, metrics: input.metrics });
  const overHttp = new HttpSink({ targetPolicy: input.targetPolicy });
  const sink: EventSink = {
    accept: (connection, record, event, signal) => (sendsInProcess(connection, input.isThisGateway) ? inProcess : overHttp).accept(connection, record, event, signal),
  };
  const metrics = new ConnectorMetrics(input.metrics.registry);
  const intake = new RecordIntake({
    sink,
    deadLetters: storedConnectionDeadLetters(input.deadLetters),
    metrics,
    logger: input.logger,
    cloudEventsVersion: input.cloudEventsVersion,
  });
  const manager = new ConnectorManager({ ...input.timing, intake, checkpoints: input.checkpoints, metrics, logger: input.logger });
  return {
    check(connection) {
      if (sendsInProcess(connection, input.isThisGateway)) return;
      const literal = normaliseHostLiteral(new URL(connection.target ?? '').hostname);
      const decision = literal === undefined ? undefined : isAddressAllowed(literal, input.targetPolicy);
      if (decision && !decision.allowed) {
        throw new BadRequestError(`${CONNECTION_INVALID}"target" is refused by the SSRF guard (${decision.reason}); see --allow-targets.`);
      }
    },
    apply: (space, connectionId, connection) => manager.apply(space, connectionId, connection),
    sync: (connections) => manager.sync(connections),
    stop: () => manager.stop(),
  };
}

function sendsInProcess(connection: Connection, isThisGateway: (target: URL) => boolean): boolean {
  if (!connection.target) return true;
  try {
    return isThisGateway(new URL(connection.target));
  } catch {
    return false;
  }
}

/** The names a client on this machine may use for it. */
const LOCAL_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]', hostname().toLowerCase()]);

/**
 * Whether `target` is the events API on `eventsPort` of this machine: a loopback or local host name, or the address
 * the gateway binds.
 */
export function namesLocalGateway(target: URL, eventsPort: number, boundHost: string): boolean {
  const port = target.port === '' ? (target.protocol === 'https:' ? 443 : 80) : Number(target.port);
  if (target.protocol !== 'http:' || port !== eventsPort) return false;
  const host = target.hostname.toLowerCase();
  return LOCAL_NAMES.has(host) || host === boundHost.toLowerCase() || host === `[${boundHost.toLowerCase()}]`;
}

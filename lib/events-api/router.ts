import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_JSON_DEPTH } from '../core/limits.js';
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HTTP_REQUEST_EVENT_TYPE,
  authorizerRequestData,
  eventTypeOf,
  isSystemEventType,
  parseEventRequest,
  SystemEventTypes,
  withHttpParams,
  type CloudEventsVersion,
  type EventRequest,
  type GatewayEvent,
  type HeaderIndex,
  type HttpRequestData,
} from '../core/cloudevents/index.js';
import { evaluateActual, evaluatePreflight } from '../core/cors/index.js';
import { errorEnvelope, isHttpError, TooManyRequestsError, type HttpError } from '../core/errors/index.js';
import type { Subscription } from '../core/model/types.js';
import { mapSyncResult, syncInvocationErrorMessage, InvocationError, FunctionResultError } from '../core/response/index.js';
import { defaultTimeoutMs } from '../core/retry/index.js';
import type { RoutingTable, SyncMatch } from '../core/routing/index.js';
import { HookRejection, HookVeto, type HookRunner } from '../hooks/index.js';
import { readBody } from '../http/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { QueueFullError, type DeliveryQueue, type NewDeliveryItem } from '../ports/delivery-queue.js';
import {
  InFlight,
  authorizeForSubscriber,
  heldBackError,
  newItemId,
  releaseOnce,
  type FunctionLimiter,
  type InvokerRegistry,
  type LiveRoutingTable,
  type SystemEvents,
} from '../dispatch/index.js';

/** Limits of the events API, each answered with a clear 4xx (docs/compatibility.md#limits). */
export interface EventsApiLimits {
  /** Largest request body. @default 262144 (256 KiB) */
  maxBodyBytes?: number;
  /** Most events in one CloudEvents batch. @default 100 */
  maxBatchSize?: number;
  /** Most header lines in one request. @default 100 */
  maxHeaders?: number;
  /** Deepest JSON nesting in a body. @default 64 */
  maxJsonDepth?: number;
}

export interface EventsApiOptions extends EventsApiLimits {
  routing: LiveRoutingTable;
  queue: DeliveryQueue;
  invokers: InvokerRegistry;
  systemEvents: SystemEvents;
  hooks: HookRunner;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Spec version of gateway-made events (`--cloudevents-version`). @default '0.1' */
  cloudEventsVersion?: CloudEventsVersion;
  /** Seconds in the `Retry-After` of a 429. @default 1 */
  retryAfterSeconds?: number;
  /**
   * The functions' rate and concurrency limits (docs/limits.md): a sync call over one answers 429 with
   * `Retry-After` at once. Without one, limits are not applied to sync calls.
   */
  limiter?: FunctionLimiter;
}

export { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADERS } from '../core/limits.js';

const JSON_TYPE = 'application/json';
const SERVICE_UNAVAILABLE = `${JSON.stringify(errorEnvelope('Service Unavailable'))}\n`;

/**
 * The events API (docs/compatibility.md#events-api): every method and path is an event. Plain node:http, no framework
 * on this path.
 */
export class EventsApi {
  private draining = false;
  /** Cancels the sync calls in flight (a shutdown whose time ran out). */
  private readonly cancelling = new AbortController();
  private readonly inFlight = new InFlight();
  private readonly maxBodyBytes: number;
  private readonly maxHeaderLines: number;
  private readonly parseOptions: { gatewayEventVersion: CloudEventsVersion; maxBatchSize: number; maxJsonDepth: number };
  private readonly retryAfterSeconds: number;

  constructor(private readonly options: EventsApiOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxHeaderLines = options.maxHeaders ?? DEFAULT_MAX_HEADERS;
    this.parseOptions = {
      gatewayEventVersion: options.cloudEventsVersion ?? '0.1',
      maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    };
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    setMaxListeners(0, this.cancelling.signal);
  }

  /**
   * From now on every request gets 503 (docs/compatibility.md#servers-and-ports, docs/operations.md#graceful-shutdown).
   */
  drain(): void {
    this.draining = true;
  }

  /** Requests being handled (sync calls included). */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Resolves once no request is being handled. */
  idle(): Promise<void> {
    return this.inFlight.idle();
  }

  /** Cancels the sync calls in flight: each answers as a failed call. */
  cancel(): void {
    this.cancelling.abort();
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const { intake } = this.options.metrics;
    intake.requestsInFlight++;
    intake.requestsStarted++;
    this.inFlight.enter();
    this.handle(req, res)
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, method: req.method, url: req.url }, 'events API request failed');
        if (!res.headersSent) sendJson(res, 500, errorEnvelope('Internal Server Error'));
        else res.destroy();
      })
      .finally(() => {
        intake.requestsInFlight--;
        this.inFlight.leave();
      });
  };

  // Hot path: everything below runs per request.
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.draining) {
      res.writeHead(503, { 'content-type': JSON_TYPE, connection: 'close' }).end(SERVICE_UNAVAILABLE);
      req.resume();
      return;
    }
    if (req.rawHeaders.length > this.maxHeaderLines * 2) {
      sendJson(res, 431, errorEnvelope(`Request Header Fields Too Large: the limit is ${this.maxHeaderLines} headers.`), true);
      req.resume();
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const table = this.options.routing.current;

    // CORS (docs/compatibility.md#cors): a preflight on a configured path is answered here and nothing else happens.
    const preflightMethod = method === 'OPTIONS' ? req.headers['access-control-request-method'] : undefined;
    const cors = table.matchCors(preflightMethod || method, rawPath);
    if (cors && preflightMethod) {
      const headers = evaluatePreflight(cors.compiled, {
        origin: req.headers.origin,
        requestMethod: preflightMethod,
        requestHeaders: req.headers['access-control-request-headers'],
      });
      setHeaders(res, headers);
      res.writeHead(200).end();
      req.resume();
      return;
    }
    if (cors) setHeaders(res, evaluateActual(cors.compiled, { method, origin: req.headers.origin }));

    const body = await readBody(req, this.maxBodyBytes);
    if (body === undefined) {
      sendJson(res, 413, errorEnvelope(`Request body too large: the limit is ${this.maxBodyBytes} bytes.`), true);
      return;
    }

    const request: EventRequest = { method, rawPath, rawQuery, rawHeaders: req.rawHeaders, body };
    let events: GatewayEvent[];
    let batch = false;
    let headerIndex: HeaderIndex;
    try {
      const parsed = parseEventRequest(request, this.parseOptions);
      headerIndex = parsed.headers;
      if (parsed.kind === 'single') events = [parsed.event];
      else {
        events = parsed.events;
        batch = true;
      }
    } catch (error) {
      if (!isHttpError(error)) throw error;
      sendError(res, error);
      return;
    }

    // Clients may not emit system events (docs/compatibility.md#request-pipeline step 5): 400 with an empty body.
    for (const event of events) {
      if (isSystemEventType(eventTypeOf(event))) {
        res.writeHead(400).end();
        return;
      }
    }

    const { hooks } = this.options;
    if (hooks.hasBeforeRoute) {
      try {
        const hookRequest = { method, path: rawPath, headers: req.headers };
        events = await Promise.all(events.map((e) => hooks.beforeRoute(e, hookRequest)));
      } catch (error) {
        if (!(error instanceof HookRejection)) throw error;
        sendJson(res, error.statusCode, errorEnvelope(error.message));
        return;
      }
    }

    const items: NewDeliveryItem[] = [];
    let sync: { match: SyncMatch; event: GatewayEvent } | undefined;
    let authorizerRequest: string | undefined;
    const receivedListened = this.options.systemEvents.listens(table, SystemEventTypes.eventReceived);
    for (const event of events) {
      const eventType = eventTypeOf(event);
      const syncMatch = batch ? undefined : table.matchSync(method, rawPath, eventType);
      const subscribers = table.matchAsync(method, rawPath, eventType);

      if (receivedListened) {
        try {
          items.push(...(await this.eventReceived(table, request, headerIndex, event, syncMatch, subscribers)));
        } catch (error) {
          if (!(error instanceof HookVeto)) throw error;
          // A sync hook vetoed event.received: the client gets 200 with an empty body
          // (docs/compatibility.md#status-codes).
          this.options.logger.info({ reason: error.message }, 'event vetoed by a hook');
          res.writeHead(200).end();
          return;
        }
      }

      if (subscribers.length > 0) {
        const json = JSON.stringify(event);
        const acceptedAt = Date.now();
        for (const s of subscribers) {
          this.options.metrics.countReceived(s.space, 'custom');
          const item: NewDeliveryItem = {
            id: newItemId(acceptedAt), space: s.space, subscriptionId: s.subscriptionId, functionId: s.functionId,
            eventType, event: json, system: false, acceptedAt,
          };
          if (table.hasAuthorizer(s.space, eventType)) {
            authorizerRequest ??= JSON.stringify(authorizerRequestData(request, headerIndex));
            item.authorizerRequest = authorizerRequest;
          }
          items.push(item);
        }
      }
      if (syncMatch) sync = { match: syncMatch, event };
      else if (subscribers.length === 0) this.unrouted(table, rawPath, eventType);
    }

    // Async items are committed first; only then is the sync function called (docs/compatibility.md#durable-delivery).
    if (items.length > 0) {
      try {
        await this.options.queue.enqueue(items);
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        this.options.metrics.eventsRejected.inc();
        this.options.metrics.intake.refusedByFullQueue++;
        sendError(res, new TooManyRequestsError('Too Many Requests: the delivery queue is full. Retry later.', this.retryAfterSeconds));
        return;
      }
      this.options.metrics.eventsBacklog.inc(items.length);
    }

    if (!sync) {
      res.writeHead(202).end();
      return;
    }
    await this.invokeSync(res, table, request, headerIndex, sync.match, sync.event);
  }

  /**
   * docs/compatibility.md#request-pipeline (step 8) and docs/compatibility.md#sync-responses: authorize, invoke, map
   * the result onto the response.
   */
  private async invokeSync(
    res: ServerResponse,
    table: RoutingTable,
    request: EventRequest,
    headerIndex: HeaderIndex,
    match: SyncMatch,
    parsedEvent: GatewayEvent,
  ): Promise<void> {
    const { metrics, invokers, systemEvents, logger } = this.options;
    const { subscription } = match;
    const { space } = subscription;
    const eventType = eventTypeOf(parsedEvent);
    metrics.countReceived(space, eventType);

    // Hot path: without an authorizer neither its request data nor an await.
    let authorized = parsedEvent;
    if (table.hasAuthorizer(space, eventType)) {
      const requestData = authorizerRequestDataFor(parsedEvent, request, headerIndex);
      const auth = await authorizeForSubscriber(table, invokers, space, parsedEvent, requestData);
      if (!auth.allow) {
        logger.info({ space, reason: auth.reason }, 'sync request denied by authorizer');
        res.writeHead(403).end();
        return;
      }
      authorized = auth.event;
    }
    const event = eventType === HTTP_REQUEST_EVENT_TYPE ? withHttpParams(authorized, match.params) : authorized;
    const eventOf = () => event;

    const fn = table.function(space, subscription.functionId);
    // After the authorizer: only authorized calls take a function's capacity (docs/limits.md).
    const admitting = fn && this.options.limiter?.admit(fn, 'sync');
    const admission = admitting && (await admitting);
    if (fn && admission && !admission.admitted) {
      sendError(res, heldBackError(fn, admission));
      return;
    }
    const release = releaseOnce(admission);
    try {
      if (!fn) throw new InvocationError('call-failed', `function ${space}/${subscription.functionId} not found`);
      const invoking = systemEvents.functionInvoking(table, space, fn.functionId, eventOf);
      if (invoking) {
        try {
          await invoking;
        } catch (error) {
          if (error instanceof HookVeto) throw new InvocationError('call-failed', error.message);
          throw error;
        }
      }
      const called = await invokers.callSync(fn, {
        payload: JSON.stringify(event),
        timeoutMs: timeoutFor(subscription, fn.type),
        signal: this.cancelling.signal,
      });
      release();
      if (!called.ok) throw called.error;
      const invoked = systemEvents.functionInvoked(table, space, fn.functionId, eventOf, called.body);
      if (invoked) await invoked;
      const mapped = mapSyncResult(called.body);
      metrics.countProcessed(space, eventType);
      // Hot path: the headers as one flat list, stored once by writeHead.
      const headers: string[] = [];
      for (const [name, value] of mapped.headers) headers.push(name, value);
      res.writeHead(mapped.statusCode, headers).end(mapped.body);
    } catch (error) {
      metrics.countProcessed(space, eventType);
      if (error instanceof FunctionResultError) {
        logger.warn({ space: subscription.space, functionId: subscription.functionId, detail: error.detail }, 'sync function returned a malformed response');
        sendJson(res, 500, error.toBody());
        return;
      }
      if (!(error instanceof InvocationError)) throw error;
      logger.warn({ space: subscription.space, functionId: subscription.functionId, err: error.message }, 'sync invocation failed');
      if (fn) await systemEvents.functionInvocationFailed(table, space, fn.functionId, eventOf, error.message);
      sendJson(res, 500, errorEnvelope(syncInvocationErrorMessage(error)));
    } finally {
      release();
    }
  }

  /**
   * An event no subscription took still gets 202 (the original's answer); it is counted, per space that defines its
   * event type ("" when none does), so that a typo in a type or path shows in the metrics.
   */
  private unrouted(table: RoutingTable, path: string, eventType: string): void {
    const { metrics, logger } = this.options;
    const spaces = table.spacesDefining(eventType);
    if (spaces.length === 0) metrics.countUnrouted('', eventType);
    else for (const space of spaces) metrics.countUnrouted(space, eventType);
    if (logger.isLevelEnabled('debug')) logger.debug({ path, eventType, spaces }, 'event matched no subscription');
  }

  /**
   * `event.received` for one event, Q13-scoped to the spaces the request matched
   * (docs/compatibility.md#deliberate-differences).
   */
  private eventReceived(
    table: RoutingTable,
    request: EventRequest,
    headerIndex: HeaderIndex,
    event: GatewayEvent,
    syncMatch: SyncMatch | undefined,
    subscribers: readonly Subscription[],
  ): Promise<NewDeliveryItem[]> {
    const spaces = new Set<string>();
    if (syncMatch) spaces.add(syncMatch.subscription.space);
    for (const s of subscribers) spaces.add(s.space);
    return this.options.systemEvents.eventReceived(table, spaces, () => ({
      path: request.rawPath,
      event,
      headers: headerIndex.flat,
    }));
  }
}

function timeoutFor(subscription: Subscription, type: Parameters<typeof defaultTimeoutMs>[0]): number | undefined {
  return subscription.timeoutMs ?? defaultTimeoutMs(type);
}

/**
 * The authorizer's `request` (docs/compatibility.md#authorizers): for http.request events their own data, otherwise
 * built from the request.
 */
function authorizerRequestDataFor(event: GatewayEvent, request: EventRequest, headerIndex: HeaderIndex): HttpRequestData {
  if (eventTypeOf(event) === HTTP_REQUEST_EVENT_TYPE) {
    const data = (event as { data?: unknown }).data as HttpRequestData | undefined;
    if (data && typeof data === 'object') return { ...data, body: null, params: null };
  }
  return authorizerRequestData(request, headerIndex);
}

function setHeaders(res: ServerResponse, headers: ReadonlyArray<readonly [string, string]>): void {
  for (const [name, value] of headers) {
    const existing = res.getHeader(name);
    if (existing === undefined) res.setHeader(name, value);
    else res.setHeader(name, [...(Array.isArray(existing) ? existing : [String(existing)]), value]);
  }
}

/** The one mapping of a typed error onto the answer: its status, its envelope, and `Retry-After` when it has one. */
function sendError(res: ServerResponse, error: HttpError): void {
  if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(error.retryAfterSeconds));
  sendJson(res, error.statusCode, error.toBody());
}

function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.setHeader('content-type', JSON_TYPE);
  if (close) res.setHeader('connection', 'close');
  res.writeHead(status).end(`${JSON.stringify(body)}\n`);
}

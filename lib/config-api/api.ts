import { InternalError, isHttpError } from '../core/errors/index.js';
import { connectionJson } from '../core/connections/index.js';
import { toJson, type Kind } from '../core/model/index.js';
import { idOf } from '../core/model/types.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { ConfigRouter } from './router.js';
import type { AccessControl, AccessKeyService, AccessScope } from './access.js';
import type { ConnectionsService } from './connections.js';
import type { DeadLetterService } from './dead-letters.js';
import type { MetadataFilters, ConfigService } from './service.js';
import type { ConfigHandler, ConfigRequest, ConfigResponse } from './types.js';

export interface ConfigApiOptions {
  service: ConfigService;
  /** Serves the dead-letter endpoints of docs/compatibility.md#dead-letters when given. */
  deadLetters?: DeadLetterService;
  /** Access keys (docs/compatibility.md#access-keys). Without it every call is allowed (dev mode). */
  access?: AccessControl;
  /** Serves `/v1/keys` when given. */
  accessKeys?: AccessKeyService;
  metrics: GatewayMetrics;
  logger?: Logger;
  /**
   * Serve only `/v1/status` and `/v1/metrics` (the router container's admin port on AWS, docs/operations.md#flags).
   * @default false
   */
  adminOnly?: boolean;
  /** Serves the connections API (`/v1/spaces/:space/connections`) when given. */
  connections?: ConnectionsService;
  /**
   * Serve only `/v1/status`, `/v1/metrics` and the connections API (the connector port of local mode, where the
   * original's connector service listened).
   * @default false
   */
  connectorOnly?: boolean;
}

type Params = Record<string, string>;
type RouteHandler = (request: ConfigRequest, params: Params) => Promise<ConfigResponse>;
type Operation = 'get' | 'list' | 'create' | 'update' | 'delete';
/** The `resource` label of a config request: an item kind, or a connection. */
type Resource = Kind | 'connection';

const bySpace = (params: Params): AccessScope => ({ kind: 'space', space: params.space ?? '' });

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } as const;

/**
 * The config API (docs/compatibility.md#config-api) as one transport-neutral function from {@link ConfigRequest} to
 * {@link ConfigResponse}.
 */
export function createConfigApi(options: ConfigApiOptions): ConfigHandler {
  const { service, metrics } = options;
  const inner = new ConfigRouter<RouteHandler>();
  const access = options.access;
  /** Every route states the access it needs; the key is checked before the handler runs. */
  const router = {
    add(method: string, pattern: string, handler: RouteHandler, scope: (params: Params) => AccessScope = bySpace) {
      inner.add(method, pattern, access ? async (request, params) => {
        await access.authorize(request, scope(params));
        return handler(request, params);
      } : handler);
    },
  };

  router.add('GET', '/v1/status', async () => ({ statusCode: 200, headers: {}, body: '' }), () => ({ kind: 'open' }));
  router.add('GET', '/v1/metrics', async () => ({
    statusCode: 200,
    headers: { 'content-type': metrics.contentType },
    body: await metrics.expose(),
  }), () => ({ kind: 'metrics' }));

  /** Wraps a resource endpoint: the error envelope, and the request counter of docs/compatibility.md#metrics. */
  const resource =
    (kind: Resource, operation: Operation, run: (request: ConfigRequest, space: string, params: Params) => Promise<ConfigResponse>): RouteHandler =>
    async (request, params) => {
      const space = params.space ?? '';
      try {
        const response = await run(request, space, params);
        countRequest(space, kind, operation);
        return response;
      } catch (error) {
        // The original counts every call except those whose body did not decode.
        if (!(isHttpError(error) && error.name === 'BodyDecodeError')) countRequest(space, kind, operation);
        throw error;
      }
    };
  const countRequest = (space: string, kind: Resource, operation: Operation) =>
    metrics.configRequests.inc({ space, resource: kind, operation });
  /** One line per config change, so that `info` tells who changed what. */
  const logChange = (change: 'created' | 'updated' | 'deleted', kind: Resource, space: string, id: string) =>
    options.logger?.info({ change, space, kind, id }, `${kind} ${change}: ${space}/${id}`);

  const connections = options.connections;
  if (connections && !options.adminOnly) {
    const base = '/v1/spaces/:space/connections';
    const item = `${base}/:connectionId`;
    const id = (params: Params) => params.connectionId ?? '';
    router.add('GET', base, resource('connection', 'list', async (request, space) => {
      const found = await connections.list(space, metadataFilters(request.rawQuery));
      return json(200, { connections: found.map(connectionJson) });
    }));
    router.add('GET', item, resource('connection', 'get', async (_, space, params) => json(200, connectionJson(await connections.get(space, id(params))))));
    router.add('POST', base, resource('connection', 'create', async (request, space) => {
      const created = await connections.create(space, request.body);
      logChange('created', 'connection', space, created.connectionId);
      return json(201, connectionJson(created));
    }));
    router.add('PUT', item, resource('connection', 'update', async (request, space, params) => {
      const updated = await connections.update(space, id(params), request.body);
      logChange('updated', 'connection', space, updated.connectionId);
      return json(200, connectionJson(updated));
    }));
    router.add('DELETE', item, resource('connection', 'delete', async (_, space, params) => {
      await connections.delete(space, id(params));
      logChange('deleted', 'connection', space, id(params));
      return { statusCode: 204, headers: {}, body: '' };
    }));
  }

  const accessKeys = options.accessKeys;
  if (accessKeys && !options.adminOnly && !options.connectorOnly) {
    const admin = () => ({ kind: 'admin' }) as const;
    router.add('GET', '/v1/keys', async () => json(200, { keys: await accessKeys.list() }), admin);
    router.add('POST', '/v1/keys', async (request) => json(201, await accessKeys.createFromBody(request.body)), admin);
    router.add('GET', '/v1/keys/:keyId', async (_, params) => json(200, await accessKeys.get(params.keyId ?? '')), admin);
    router.add('DELETE', '/v1/keys/:keyId', async (_, params) => {
      await accessKeys.revoke(params.keyId ?? '');
      return { statusCode: 204, headers: {}, body: '' };
    }, admin);
  }

  if (!options.adminOnly && !options.connectorOnly) {
    const collection = <K extends Kind>(
      kind: K,
      segment: string,
      listKey: string,
      ops: {
        get(space: string, id: string): Promise<unknown>;
        list(space: string, filters: MetadataFilters): Promise<unknown[]>;
        create(space: string, body: string): Promise<unknown>;
        update(space: string, id: string, body: string): Promise<unknown>;
        delete(space: string, id: string): Promise<void>;
      },
      idFrom: (request: ConfigRequest, params: Params) => string,
      itemPattern: string,
    ) => {
      const base = `/v1/spaces/:space/${segment}`;
      const item = `${base}/${itemPattern}`;
      const out = (value: unknown) => toJson(kind, value as never);
      router.add('GET', base, resource(kind, 'list', async (request, space) => {
        const items = await ops.list(space, metadataFilters(request.rawQuery));
        return json(200, { [listKey]: items.map(out) });
      }));
      router.add('GET', item, resource(kind, 'get', async (request, space, params) => json(200, out(await ops.get(space, idFrom(request, params))))));
      router.add('POST', base, resource(kind, 'create', async (request, space) => {
        const created = await ops.create(space, request.body);
        logChange('created', kind, space, idOf(kind, created as never));
        return json(201, out(created));
      }));
      router.add('PUT', item, resource(kind, 'update', async (request, space, params) => {
        const updated = await ops.update(space, idFrom(request, params), request.body);
        logChange('updated', kind, space, idOf(kind, updated as never));
        return json(200, out(updated));
      }));
      router.add('DELETE', item, resource(kind, 'delete', async (request, space, params) => {
        const id = idFrom(request, params);
        await ops.delete(space, id);
        logChange('deleted', kind, space, id);
        return { statusCode: 204, headers: {}, body: '' };
      }));
    };

    const byParam = (name: string) => (_: ConfigRequest, params: Params) => params[name] ?? '';
    collection('eventtype', 'eventtypes', 'eventTypes', {
      get: (s, id) => service.getEventType(s, id),
      list: (s, f) => service.listEventTypes(s, f),
      create: (s, b) => service.createEventType(s, b),
      update: (s, id, b) => service.updateEventType(s, id, b),
      delete: (s, id) => service.deleteEventType(s, id),
    }, byParam('name'), ':name');
    collection('function', 'functions', 'functions', {
      get: (s, id) => service.getFunction(s, id),
      list: (s, f) => service.listFunctions(s, f),
      create: (s, b) => service.createFunction(s, b),
      update: (s, id, b) => service.updateFunction(s, id, b),
      delete: (s, id) => service.deleteFunction(s, id),
    }, byParam('id'), ':id');
    collection('subscription', 'subscriptions', 'subscriptions', {
      get: (s, id) => service.getSubscription(s, id),
      list: (s, f) => service.listSubscriptions(s, f),
      create: (s, b) => service.createSubscription(s, b),
      update: (s, id, b) => service.updateSubscription(s, id, b),
      delete: (s, id) => service.deleteSubscription(s, id),
    }, byParam('id'), ':id');
    collection('cors', 'cors', 'cors', {
      get: (s, id) => service.getCors(s, id),
      list: (s, f) => service.listCors(s, f),
      create: (s, b) => service.createCors(s, b),
      update: (s, id, b) => service.updateCors(s, id, b),
      delete: (s, id) => service.deleteCors(s, id),
    }, (request) => corsIdFromRawPath(request.rawPath), '*id');

    const deadLetters = options.deadLetters;
    if (deadLetters) {
      const base = '/v1/spaces/:space/deadletters';
      const space = (params: Params) => params.space ?? '';
      const query = (request: ConfigRequest) => new URLSearchParams(request.rawQuery);
      router.add('GET', base, async (request, params) => json(200, await deadLetters.list(space(params), query(request))));
      router.add('DELETE', base, async (request, params) => json(200, await deadLetters.purgeMatching(space(params), query(request))));
      router.add('POST', `${base}/redrive`, async (request, params) => json(202, await deadLetters.redriveMatching(space(params), request.body)));
      router.add('GET', `${base}/:id`, async (_, params) => json(200, await deadLetters.get(space(params), params.id ?? '')));
      router.add('DELETE', `${base}/:id`, async (_, params) => {
        await deadLetters.purgeOne(space(params), params.id ?? '');
        return { statusCode: 204, headers: {}, body: '' };
      });
      router.add('POST', `${base}/:id/redrive`, async (_, params) => {
        await deadLetters.redriveOne(space(params), params.id ?? '');
        return { statusCode: 202, headers: {}, body: '' };
      });
    }
  }

  return async (request) => {
    const started = performance.now();
    try {
      return await dispatch(inner, request);
    } catch (error) {
      if (isHttpError(error)) return json(error.statusCode, error.toBody());
      options.logger?.error({ err: error, method: request.method, path: request.rawPath }, 'config API request failed');
      const message = error instanceof Error ? error.message : String(error);
      return json(500, new InternalError(message).toBody());
    } finally {
      metrics.configRequestDuration.observe((performance.now() - started) / 1000);
    }
  };
}

async function dispatch(router: ConfigRouter<RouteHandler>, request: ConfigRequest): Promise<ConfigResponse> {
  let path: string;
  try {
    path = decodeURIComponent(request.rawPath);
  } catch {
    return { statusCode: 400, headers: { ...TEXT_HEADERS }, body: '400 Bad Request' };
  }
  const resolution = router.resolve(request.method, path);
  switch (resolution.kind) {
    case 'match':
      return resolution.handler(request, resolution.params);
    case 'redirect':
      return redirect(request, resolution.statusCode, resolution.location);
    case 'methodNotAllowed':
      return { statusCode: 405, headers: { ...TEXT_HEADERS }, body: 'Method Not Allowed\n' };
    case 'notFound':
      return { statusCode: 404, headers: { ...TEXT_HEADERS }, body: '404 page not found\n' };
  }
}

/** Go's http.Redirect: a short HTML body for GET and HEAD only. */
function redirect(request: ConfigRequest, statusCode: 301 | 307, path: string): ConfigResponse {
  const location = encodeURI(path) + (request.rawQuery ? `?${request.rawQuery}` : '');
  const headers: Record<string, string> = { location };
  let body = '';
  if (request.method === 'GET' || request.method === 'HEAD') {
    headers['content-type'] = 'text/html; charset=utf-8';
    body = `<a href="${htmlEscape(location)}">${statusCode === 301 ? 'Moved Permanently' : 'Temporary Redirect'}</a>.\n\n`;
  }
  return { statusCode, headers, body };
}

function htmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The CORS id comes from the raw, still-encoded path (docs/compatibility.md#cors-configurations): clients put
 * `GET%2Fhello` in the URL as is. Like the original, a path with no percent-escape yields the empty id (and so a 404).
 */
function corsIdFromRawPath(rawPath: string): string {
  if (!rawPath.includes('%')) return '';
  return rawPath.slice(rawPath.lastIndexOf('/') + 1);
}

/** Every `metadata.<key>` query parameter, first value only (docs/compatibility.md#conventions). */
export function metadataFilters(rawQuery: string): MetadataFilters {
  if (!rawQuery) return [];
  const seen = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    if (key.startsWith('metadata.') && !seen.has(key)) seen.set(key, value);
  }
  return [...seen].map(([key, value]) => [key.slice('metadata.'.length), value] as const);
}

/** Go's json.Encoder output: `<`, `>`, `&`, U+2028 and U+2029 escaped, and a trailing newline. */
export function goJson(value: unknown): string {
  return `${JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

function json(statusCode: number, value: unknown): ConfigResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: goJson(value) };
}

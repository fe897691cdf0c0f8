import type { CloudEventV01, CloudEventV1, EventAuthorization, GatewayEvent, JsonObject, JsonValue } from './model.js';
import { eventTypeOf, HTTP_REQUEST_EVENT_TYPE, isCloudEventV1 } from './model.js';

/**
 * Changes the router makes to a parsed event. Events are frozen: each helper returns a new frozen event and
 * leaves its input as it was.
 */

/** The 1.0 extension carrying an authorizer's result, as JSON text (1.0 extension values are primitives). */
export const AUTHORIZATION_EXTENSION_V1 = 'egauthorization';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{"principalId": …, "context": …|null}` or `null`, as the original attached it. */
function authorizationValue(auth: EventAuthorization | null): JsonValue {
  if (auth === null) return null;
  return Object.freeze({
    principalId: auth.principalId ?? '',
    context: auth.context ? (Object.freeze({ ...auth.context }) as JsonObject) : null,
  });
}

/**
 * Adds an allowing authorizer's result to the event (docs/compatibility.md#authorizers).
 * 0.1: `extensions.eventgateway.authorization`; when `extensions.eventgateway` is an object (gateway-made events,
 * or a client's own) the key is added to it, otherwise `extensions` becomes `{"eventgateway":{"authorization":…}}`
 * — replacing any other client extensions, exactly as the original did.
 * 1.0: the extension `egauthorization` = the JSON text of the same value (`"null"` when the authorizer allowed
 * without an authorization).
 */
export function withAuthorization(event: GatewayEvent, auth: EventAuthorization | null): GatewayEvent {
  const authorization = authorizationValue(auth);
  if (isCloudEventV1(event)) return withExtensionV1(event, AUTHORIZATION_EXTENSION_V1, JSON.stringify(authorization));

  const gateway = event.extensions?.['eventgateway'];
  const extensions: JsonObject = isObject(gateway)
    ? { ...event.extensions, eventgateway: Object.freeze({ ...gateway, authorization }) }
    : { eventgateway: Object.freeze({ authorization }) };
  return replaceV01(event, { extensions: Object.freeze(extensions) });
}

/**
 * Sets `data.params` of an `http.request` event (the router does it for a sync match). Returns the event unchanged
 * when it is not an `http.request` event with object data.
 */
export function withHttpParams(event: GatewayEvent, params: Readonly<Record<string, string>> | null): GatewayEvent {
  if (eventTypeOf(event) !== HTTP_REQUEST_EVENT_TYPE || !isObject(event.data)) return event;
  // A static route on a gateway-made event (whose data.params is already null): nothing to copy.
  if (params === null && event.data['params'] === null) return event;
  const frozenParams = params === null ? null : (Object.freeze({ ...params }) as JsonObject);
  // Spreading keeps the key order; `params` stays where it was (last in gateway-made data).
  const data = Object.freeze({ ...event.data, params: frozenParams });
  // `data` is always present, so the spread keeps every key where it was, in 0.1 as in 1.0.
  return Object.freeze({ ...event, data }) as GatewayEvent;
}

/** A copy of a 0.1 event with some members replaced, keys kept in 0.1 order. */
function replaceV01(event: CloudEventV01, changes: Partial<CloudEventV01>): CloudEventV01 {
  const merged = { ...event, ...changes };
  // `extensions` may be new to the event: rebuild so that it lands before `contentType`.
  const ordered: Record<string, JsonValue | undefined> = {};
  for (const key of V01_KEY_ORDER) if (merged[key] !== undefined) ordered[key] = merged[key];
  return Object.freeze(ordered) as CloudEventV01;
}

const V01_KEY_ORDER = [
  'eventType',
  'eventTypeVersion',
  'cloudEventsVersion',
  'source',
  'eventID',
  'eventTime',
  'schemaURL',
  'extensions',
  'contentType',
  'data',
] as const satisfies ReadonlyArray<keyof CloudEventV01>;

/** A copy of a 1.0 event with one extension set, placed before `data`/`data_base64`. */
function withExtensionV1(event: CloudEventV1, name: string, value: string): CloudEventV1 {
  const copy: Record<string, JsonValue | undefined> = {};
  for (const key of Object.keys(event)) {
    if (key === 'data' || key === 'data_base64' || key === name) continue;
    copy[key] = event[key];
  }
  copy[name] = value;
  if (Object.hasOwn(event, 'data')) copy['data'] = event.data;
  if (Object.hasOwn(event, 'data_base64')) copy['data_base64'] = event.data_base64;
  return Object.freeze(copy) as CloudEventV1;
}

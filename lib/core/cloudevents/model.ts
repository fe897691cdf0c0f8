/**
 * The event model. An event object is its own structured-mode JSON: its keys are the wire names, in wire order,
 * absent optional attributes have no key, and raw bytes are already base64 text. So `JSON.stringify(event)` is the
 * delivery form, and an event embedded in another (system events, authorizer payloads) serialises correctly.
 * Events are frozen; change them only through the helpers in `operations.ts`, which return new events.
 */

export type JsonPrimitive = string | number | boolean | null;
/** A JSON object; an `undefined` member is an absent one (as `JSON.stringify` treats it). */
export type JsonObject = { readonly [key: string]: JsonValue | undefined };
export type JsonValue = JsonPrimitive | readonly JsonValue[] | JsonObject;

// The event shapes are type aliases, not interfaces, so that an event is itself a JsonValue (embeddable in data).

/** CloudEvents 0.1 (docs/compatibility.md#event-model). Keys in the JSON order of the original. */
export type CloudEventV01 = {
  readonly eventType: string;
  readonly eventTypeVersion?: string;
  /** Any non-empty value is accepted (the original never checked for "0.1"). */
  readonly cloudEventsVersion: string;
  readonly source: string;
  readonly eventID: string;
  /** RFC 3339, as Go re-serialises it (fraction without trailing zeros, `Z` for a zero offset). */
  readonly eventTime?: string;
  readonly schemaURL?: string;
  /** Omitted when empty. */
  readonly extensions?: JsonObject;
  readonly contentType?: string;
  /** Always present; `null` when absent. Raw bytes are a base64 string. */
  readonly data: JsonValue;
};

/** Extension attribute values of CloudEvents 1.0 are primitives. */
export type ExtensionValueV1 = string | number | boolean;

/**
 * CloudEvents 1.0, structured JSON form. Extension attributes are top-level keys between the context attributes
 * and `data`/`data_base64`; at most one of those two is present.
 */
export type CloudEventV1 = {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly subject?: string;
  readonly time?: string;
  readonly data?: JsonValue;
  readonly data_base64?: string;
  readonly [extension: string]: JsonValue | undefined;
};

export type GatewayEvent = CloudEventV01 | CloudEventV1;

export type CloudEventsVersion = '0.1' | '1.0';

export function isCloudEventV1(event: GatewayEvent): event is CloudEventV1 {
  return (event as { specversion?: unknown }).specversion === '1.0';
}

export function cloudEventsVersionOf(event: GatewayEvent): CloudEventsVersion {
  return isCloudEventV1(event) ? '1.0' : '0.1';
}

/** The event type of either version (`eventType` in 0.1, `type` in 1.0). */
export function eventTypeOf(event: GatewayEvent): string {
  return isCloudEventV1(event) ? event.type : event.eventType;
}

/**
 * Event types of gateway-made system events; clients may not emit them (docs/compatibility.md#request-pipeline step 5).
 */
export const SYSTEM_EVENT_PREFIX = 'eventgateway.';

export function isSystemEventType(eventType: string): boolean {
  return eventType.startsWith(SYSTEM_EVENT_PREFIX);
}

export const HTTP_REQUEST_EVENT_TYPE = 'http.request';

export const SystemEventTypes = Object.freeze({
  eventReceived: 'eventgateway.event.received',
  functionInvoking: 'eventgateway.function.invoking',
  functionInvoked: 'eventgateway.function.invoked',
  functionInvocationFailed: 'eventgateway.function.invocationFailed',
} as const);

export type SystemEventType = (typeof SystemEventTypes)[keyof typeof SystemEventTypes];

/** Revision of how the gateway turns a request into an event; part of gateway-made events. */
export const TRANSFORMATION_VERSION = '0.1';
/** `source` of every gateway-made event (both versions). */
export const GATEWAY_SOURCE = `https://serverless.com/event-gateway/#transformationVersion=${TRANSFORMATION_VERSION}`;

/** The authorizer result attached to an event (docs/compatibility.md#authorizers). */
export interface EventAuthorization {
  readonly principalId?: string;
  readonly context?: Readonly<Record<string, string>> | null;
}

/**
 * The `http.request` data object (docs/compatibility.md#http-request-events). Keys in JSON order. (A type alias, so
 * that it is a {@link JsonValue}.)
 */
export type HttpRequestData = {
  /** Every request header but `Host`, Go-canonical names, repeated values joined with `", "`. */
  readonly headers: { readonly [name: string]: string };
  /** Decoded query parameters, always arrays (frozen; typed mutable for callers that take `string[]`); `{}` when none. */
  readonly query: { readonly [name: string]: string[] };
  /** The normalised body (docs/compatibility.md#body-normalisation). */
  readonly body: JsonValue;
  /** The Host header, port included. */
  readonly host: string;
  /** The decoded URL path. */
  readonly path: string;
  readonly method: string;
  /** Sync path parameters; `null` until the router sets them for a sync match. */
  readonly params: { readonly [name: string]: string } | null;
};

/**
 * A request to the events API, transport-neutral. The node:http router fills it from `IncomingMessage` without
 * copying.
 */
export interface EventRequest {
  readonly method: string;
  /** The escaped path, no query (e.g. `/users/a%20b`). */
  readonly rawPath: string;
  /** The text after `?`; '' when there is none. */
  readonly rawQuery: string;
  /** Node's `req.rawHeaders`: `[name, value, name, value, …]`, original case, repeats kept, values latin1. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

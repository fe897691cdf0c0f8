import type { CloudEventV01, CloudEventV1, GatewayEvent, JsonObject, JsonValue } from './model.js';
import { isCloudEventV1 } from './model.js';

/** The media type of a structured-mode delivery, both versions. */
export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';

/**
 * The structured-mode JSON of an event, in its own version (docs/compatibility.md#cloudevents-10): 0.1 keys in the
 * order of docs/compatibility.md#event-model (`eventType`, `eventTypeVersion`?, `cloudEventsVersion`, `source`,
 * `eventID`, `eventTime`?, `schemaURL`?, `extensions`?, `contentType`?, `data`); 1.0 context attributes, then
 * extensions, then `data`/`data_base64`. Hot path (every delivery): events made by this module are already in that
 * order, so this is one `JSON.stringify` of a shallow ordered copy.
 */
export function serializeEvent(event: GatewayEvent): string {
  return JSON.stringify(isCloudEventV1(event) ? orderedV1(event) : orderedV01(event));
}

function orderedV01(event: CloudEventV01): Record<string, JsonValue | undefined> {
  return {
    eventType: event.eventType,
    eventTypeVersion: event.eventTypeVersion || undefined,
    cloudEventsVersion: event.cloudEventsVersion,
    source: event.source,
    eventID: event.eventID,
    eventTime: event.eventTime,
    schemaURL: event.schemaURL || undefined,
    extensions: event.extensions !== undefined && hasKeys(event.extensions) ? event.extensions : undefined,
    contentType: event.contentType || undefined,
    data: event.data ?? null,
  };
}

const V1_CONTEXT = ['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time'] as const;

function orderedV1(event: CloudEventV1): Record<string, JsonValue | undefined> {
  const out: Record<string, JsonValue | undefined> = {};
  for (const key of V1_CONTEXT) out[key] = event[key];
  for (const key of Object.keys(event)) {
    if (key === 'data' || key === 'data_base64' || (V1_CONTEXT as readonly string[]).includes(key)) continue;
    out[key] = event[key];
  }
  if (event.data !== undefined) out['data'] = event.data;
  else if (event.data_base64 !== undefined) out['data_base64'] = event.data_base64;
  return out;
}

function hasKeys(object: JsonObject): boolean {
  for (const _ in object) return true;
  return false;
}

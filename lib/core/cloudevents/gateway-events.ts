import { formatLocalTimestamp } from '../go/index.js';
import type { CloudEventsVersion, CloudEventV01, CloudEventV1, GatewayEvent, JsonObject, JsonValue, SystemEventType } from './model.js';
import { GATEWAY_SOURCE, TRANSFORMATION_VERSION } from './model.js';
import type { DataV1 } from './normalize.js';
import { makeEventV01 } from './v01.js';

/**
 * Events the gateway makes itself (docs/compatibility.md#event-model, #system-events): `http.request`, legacy `Event:`
 * events and system events. 0.1 by default; 1.0 with `--cloudevents-version 1.0`
 * (docs/compatibility.md#cloudevents-10).
 */

/** Where ids and timestamps of gateway-made events come from; injectable for tests. */
export interface EventClock {
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default crypto.randomUUID (UUID v4) */
  readonly newId?: () => string;
}

const defaultNow = (): Date => new Date();
const defaultNewId = (): string => crypto.randomUUID();

/** The 0.1 `extensions.eventgateway` of gateway-made events; both values are strings. Shared and frozen. */
export const GATEWAY_EXTENSION_V01: JsonObject = Object.freeze({
  transformed: 'true',
  'transformation-version': TRANSFORMATION_VERSION,
});
const GATEWAY_EXTENSIONS_V01: JsonObject = Object.freeze({ eventgateway: GATEWAY_EXTENSION_V01 });

/** The 1.0 extensions that stand in for the 0.1 `eventgateway` object. */
export const GATEWAY_EXTENSIONS_V1 = Object.freeze({ egtransformed: 'true', egtransformversion: TRANSFORMATION_VERSION });

/** A gateway-made 0.1 event. `data` is already normalised. */
export function gatewayEventV01(eventType: string, contentType: string, data: JsonValue, clock: EventClock = {}): CloudEventV01 {
  return makeEventV01({
    eventType,
    cloudEventsVersion: '0.1',
    source: GATEWAY_SOURCE,
    eventID: (clock.newId ?? defaultNewId)(),
    eventTime: formatLocalTimestamp((clock.now ?? defaultNow)()),
    extensions: GATEWAY_EXTENSIONS_V01,
    contentType,
    data,
  });
}

/** A gateway-made 1.0 event. */
export function gatewayEventV1(type: string, contentType: string, data: DataV1, clock: EventClock = {}): CloudEventV1 {
  const event: Record<string, JsonValue> = {
    specversion: '1.0',
    id: (clock.newId ?? defaultNewId)(),
    source: GATEWAY_SOURCE,
    type,
  };
  if (contentType !== '') event['datacontenttype'] = contentType;
  event['time'] = formatLocalTimestamp((clock.now ?? defaultNow)());
  event['egtransformed'] = GATEWAY_EXTENSIONS_V1.egtransformed;
  event['egtransformversion'] = GATEWAY_EXTENSIONS_V1.egtransformversion;
  if (data.kind === 'data') event['data'] = data.value;
  else if (data.kind === 'base64') event['data_base64'] = data.value;
  return Object.freeze(event) as CloudEventV1;
}

/**
 * A system event (docs/compatibility.md#system-events): a gateway-made event of `type` with `contentType`
 * `application/json` and `data` as given (typically an object holding the event it is about; events are JSON values and
 * embed as they are).
 */
export function systemEvent(
  type: SystemEventType | string,
  data: JsonValue,
  version: CloudEventsVersion = '0.1',
  clock: EventClock = {},
): GatewayEvent {
  return version === '1.0'
    ? gatewayEventV1(type, 'application/json', { kind: 'data', value: data }, clock)
    : gatewayEventV01(type, 'application/json', data, clock);
}

export type {
  CloudEventsVersion,
  CloudEventV01,
  CloudEventV1,
  EventAuthorization,
  EventRequest,
  ExtensionValueV1,
  GatewayEvent,
  HttpRequestData,
  JsonObject,
  JsonPrimitive,
  JsonValue,
  SystemEventType,
} from './model.js';
export {
  cloudEventsVersionOf,
  eventTypeOf,
  GATEWAY_SOURCE,
  HTTP_REQUEST_EVENT_TYPE,
  isCloudEventV1,
  isSystemEventType,
  SYSTEM_EVENT_PREFIX,
  SystemEventTypes,
  TRANSFORMATION_VERSION,
} from './model.js';
export { DEFAULT_MAX_BATCH_SIZE, parseEventRequest } from './http-binding.js';
export type { ParseOptions, ParsedRequest } from './http-binding.js';
export { DEFAULT_MAX_JSON_DEPTH } from './body.js';
export { firstHeader, indexHeaders } from './headers.js';
export type { FlatHeaders, HeaderIndex } from './headers.js';
export { authorizerRequestData, decodePath, httpRequestData, parseQuery } from './http-request.js';
export { GATEWAY_EXTENSIONS_V1, gatewayEventV01, gatewayEventV1, systemEvent } from './gateway-events.js';
export type { EventClock } from './gateway-events.js';
export { AUTHORIZATION_EXTENSION_V1, withAuthorization, withHttpParams } from './operations.js';
export { serializeEvent, STRUCTURED_MEDIA_TYPE } from './serialize.js';
export { MAX_ID_LENGTH, V1_ATTRIBUTES } from './v1.js';
export { V01_ATTRIBUTES } from './v01.js';

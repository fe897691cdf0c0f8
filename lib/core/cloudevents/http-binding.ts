import { DEFAULT_MAX_BATCH_SIZE } from '../limits.js';
import { BadRequestError, PayloadTooLargeError } from '../errors/index.js';
import { jsonSyntaxErrorMessage, parseMediaType } from '../go/index.js';
import { DEFAULT_MAX_JSON_DEPTH, RequestBody } from './body.js';
import type { EventClock } from './gateway-events.js';
import { gatewayEventV01, gatewayEventV1 } from './gateway-events.js';
import type { HeaderIndex } from './headers.js';
import { firstHeader, indexHeaders } from './headers.js';
import { httpRequestData } from './http-request.js';
import type { CloudEventsVersion, EventRequest, GatewayEvent } from './model.js';
import { HTTP_REQUEST_EVENT_TYPE } from './model.js';
import { normalizeBodyV01, normalizeBodyV1 } from './normalize.js';
import { decodeBinaryV01, decodeStructuredV01, isBinaryV01 } from './v01.js';
import { binaryMembersV1, declaresV1, decodeV1 } from './v1.js';

/**
 * The HTTP binding: one events-API request → its event(s) (docs/compatibility.md#request-to-event,
 * docs/compatibility.md#cloudevents-10).
 *
 * Mode detection, first match wins:
 * 1. media type `application/cloudevents+json` → structured. The version comes from the body: an object with a
 *    `specversion` key is 1.0; anything else is read as 0.1 (so every body the original accepted or refused still
 *    gets the original's answer).
 * 2. media type `application/cloudevents-batch+json` → 1.0 batch.
 * 3. `CE-EventType`, `CE-CloudEventsVersion`, `CE-Source`, `CE-EventID` all non-empty → 0.1 binary (checked before
 *    1.0, so 0.1 clients keep their behaviour even if they also send 1.0 headers).
 * 4. `ce-specversion` non-empty → 1.0 binary. The one header decides; a missing `ce-id`, `ce-source` or `ce-type`
 *    is then a 400 naming it, not a silent fall-through to `http.request`.
 * 5. `Event` non-empty → legacy.
 * 6. otherwise → `http.request`.
 */

export interface ParseOptions {
  /** Version of gateway-made events (`--cloudevents-version`). @default '0.1' */
  readonly gatewayEventVersion?: CloudEventsVersion;
  /** Most events in one batch; more is a 413. @default 100 */
  readonly maxBatchSize?: number;
  /** Deepest JSON nesting accepted in a body; deeper is a 400. @default 64 */
  readonly maxJsonDepth?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
}

export { DEFAULT_MAX_BATCH_SIZE } from '../limits.js';

export type ParsedRequest =
  | { readonly kind: 'single'; readonly event: GatewayEvent; readonly headers: HeaderIndex }
  | { readonly kind: 'batch'; readonly events: GatewayEvent[]; readonly headers: HeaderIndex };

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const OCTET_STREAM = 'application/octet-stream';
const JSON_MEDIA_TYPE = 'application/json';

const VALIDATION_PREFIX = "CloudEvent doesn't validate: ";

/**
 * Turns a request into its event, or the events of a batch. Throws {@link BadRequestError} (400) with the exact
 * message, or {@link PayloadTooLargeError} (413) for a batch beyond `maxBatchSize`; never anything else.
 * The request's headers are indexed once and returned with the result (the router needs them for
 * `event.received` and authorizer payloads).
 * Hot path: called for every request.
 */
export function parseEventRequest(request: EventRequest, options: ParseOptions = {}): ParsedRequest {
  const headers = indexHeaders(request.rawHeaders);
  const contentType = firstHeader(headers, 'Content-Type');
  // '' is Go's "mime: no media type" (absent, empty or parameters only): read as octet-stream.
  const parsedType = contentType === '' ? '' : parseMediaType(contentType);
  const mediaType = parsedType === '' ? OCTET_STREAM : parsedType;
  const body = new RequestBody(request.body, options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);

  if (mediaType === STRUCTURED) return single(structuredEvent(body), headers);
  if (mediaType === BATCH) return { kind: 'batch', events: batchEvents(body, options), headers };
  if (isBinaryV01(headers)) {
    const decoded = decodeBinaryV01(headers, contentType, () => normalizeBodyV01(body, mediaType));
    if (!decoded.ok) throw new BadRequestError(decoded.message);
    return single(decoded.value, headers);
  }
  if (firstHeader(headers, 'Ce-Specversion') !== '') {
    const members = binaryMembersV1(headers, parsedType === '' ? '' : contentType, normalizeBodyV1(body, mediaType));
    return single(validV1(decodeV1(members)), headers);
  }
  const version = options.gatewayEventVersion ?? '0.1';
  const legacyType = firstHeader(headers, 'Event');
  if (legacyType !== '') return single(legacyEvent(legacyType, mediaType, body, version, options), headers);

  const data = httpRequestData(request, normalizeBodyV01(body, mediaType), headers);
  const event =
    version === '1.0'
      ? gatewayEventV1(HTTP_REQUEST_EVENT_TYPE, JSON_MEDIA_TYPE, { kind: 'data', value: data }, options)
      : gatewayEventV01(HTTP_REQUEST_EVENT_TYPE, JSON_MEDIA_TYPE, data, options);
  return single(event, headers);
}

function single(event: GatewayEvent, headers: HeaderIndex): ParsedRequest {
  return { kind: 'single', event, headers };
}

function validV1(result: ReturnType<typeof decodeV1>): GatewayEvent {
  if (!result.ok) throw new BadRequestError(VALIDATION_PREFIX + result.problems.join('\n'));
  return result.value;
}

/** Structured mode: the body is one event, 1.0 when it declares `specversion`, 0.1 otherwise. */
function structuredEvent(body: RequestBody): GatewayEvent {
  const parsed = body.json();
  if (!parsed.ok) throw new BadRequestError(jsonSyntaxErrorMessage(body.bytes));
  if (declaresV1(parsed.value)) return validV1(decodeV1(parsed.value));
  const decoded = decodeStructuredV01(parsed.value, body.text());
  if (!decoded.ok) throw new BadRequestError(decoded.message);
  return decoded.value;
}

/** A 1.0 batch: a non-empty JSON array of structured 1.0 events; one invalid member rejects the whole batch. */
function batchEvents(body: RequestBody, options: ParseOptions): GatewayEvent[] {
  const parsed = body.json();
  if (!parsed.ok) throw new BadRequestError(jsonSyntaxErrorMessage(body.bytes));
  const members = parsed.value;
  if (!Array.isArray(members)) throw new BadRequestError(`${VALIDATION_PREFIX}a batch must be a JSON array of events`);
  if (members.length === 0) throw new BadRequestError(`${VALIDATION_PREFIX}a batch must hold at least one event`);
  const limit = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  if (members.length > limit) {
    throw new PayloadTooLargeError(`CloudEvents batch of ${members.length} events exceeds the limit of ${limit}`);
  }
  const events: GatewayEvent[] = [];
  const problems: string[] = [];
  members.forEach((member: unknown, index) => {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) {
      problems.push(`batch[${index}]: an event must be a JSON object`);
      return;
    }
    const decoded = decodeV1(member as Record<string, unknown>);
    if (decoded.ok) events.push(decoded.value);
    else for (const problem of decoded.problems) problems.push(`batch[${index}]: ${problem}`);
  });
  if (problems.length > 0) throw new BadRequestError(VALIDATION_PREFIX + problems.join('\n'));
  return events;
}

/**
 * Legacy mode (docs/compatibility.md#request-to-event): with media type exactly `application/json` the body is first
 * tried as a structured event (used as-is when valid, whatever its type); otherwise a gateway-made event of the `Event`
 * header's type.
 */
function legacyEvent(
  eventType: string,
  mediaType: string,
  body: RequestBody,
  version: CloudEventsVersion,
  clock: EventClock,
): GatewayEvent {
  if (mediaType === JSON_MEDIA_TYPE) {
    const parsed = body.json();
    if (parsed.ok && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)) {
      if (declaresV1(parsed.value)) {
        const decoded = decodeV1(parsed.value);
        if (decoded.ok) return decoded.value;
      } else {
        const decoded = decodeStructuredV01(parsed.value, body.text());
        if (decoded.ok) return decoded.value;
      }
    }
  }
  return version === '1.0'
    ? gatewayEventV1(eventType, mediaType, normalizeBodyV1(body, mediaType), clock)
    : gatewayEventV01(eventType, mediaType, normalizeBodyV01(body, mediaType), clock);
}

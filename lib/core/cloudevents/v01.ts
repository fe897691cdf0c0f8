import { foldJsonKey, parseGoRfc3339 } from '../go/index.js';
import { rawMemberTexts } from './body.js';
import type { HeaderIndex } from './headers.js';
import { firstHeader } from './headers.js';
import type { CloudEventV01, JsonObject, JsonValue } from './model.js';
import { setEntry } from './records.js';
import { isGoValidatorUri } from '../go/index.js';

/**
 * CloudEvents 0.1 as the original decoded and validated it: Go's `encoding/json` into its `Event` struct (keys
 * matched case-insensitively, unknown keys dropped, type errors and `eventTime` errors with Go's texts), then
 * go-playground/validator v9 (`CloudEvent doesn't validate: <lines>`).
 */

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

type AttributeKind = 'string' | 'time' | 'extensions' | 'data';

interface AttributeV01 {
  /** The JSON key. */
  readonly name: keyof CloudEventV01;
  readonly kind: AttributeKind;
  /** The canonical header of binary mode (`CE-EventType` → `Ce-Eventtype`). */
  readonly header?: string;
  /** Go's type name, for `json: cannot unmarshal …` messages. */
  readonly goType?: string;
  /** One of the four headers that must all be non-empty to select binary mode. */
  readonly selectsBinary?: true;
}

/** The attribute table of 0.1, in JSON key order. Frozen. */
export const V01_ATTRIBUTES: readonly AttributeV01[] = Object.freeze(
  [
    { name: 'eventType', kind: 'string', header: 'Ce-Eventtype', goType: 'event.TypeName', selectsBinary: true },
    { name: 'eventTypeVersion', kind: 'string', header: 'Ce-Eventtypeversion', goType: 'string' },
    { name: 'cloudEventsVersion', kind: 'string', header: 'Ce-Cloudeventsversion', goType: 'string', selectsBinary: true },
    { name: 'source', kind: 'string', header: 'Ce-Source', goType: 'string', selectsBinary: true },
    { name: 'eventID', kind: 'string', header: 'Ce-Eventid', goType: 'string', selectsBinary: true },
    { name: 'eventTime', kind: 'time', header: 'Ce-Eventtime' },
    { name: 'schemaURL', kind: 'string', header: 'Ce-Schemaurl', goType: 'string' },
    { name: 'extensions', kind: 'extensions', goType: 'zap.MapStringInterface' },
    { name: 'contentType', kind: 'string', goType: 'string' },
    { name: 'data', kind: 'data' },
  ].map((attribute) => Object.freeze(attribute as AttributeV01)),
);

const BY_FOLDED_NAME: ReadonlyMap<string, AttributeV01> = new Map(V01_ATTRIBUTES.map((a) => [foldJsonKey(a.name), a]));
const BY_EXACT_NAME: ReadonlyMap<string, AttributeV01> = new Map(V01_ATTRIBUTES.map((a) => [a.name, a]));

function attributeForKey(key: string): AttributeV01 | undefined {
  return BY_EXACT_NAME.get(key) ?? BY_FOLDED_NAME.get(foldJsonKey(key));
}

/** JSON kinds as Go names them in `UnmarshalTypeError`. */
function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

interface FieldsV01 {
  eventType: string;
  eventTypeVersion: string;
  cloudEventsVersion: string;
  source: string;
  eventID: string;
  eventTime: string | undefined;
  schemaURL: string;
  extensions: JsonObject | undefined;
  contentType: string;
  data: JsonValue;
}

function emptyFields(): FieldsV01 {
  return {
    eventType: '',
    eventTypeVersion: '',
    cloudEventsVersion: '',
    source: '',
    eventID: '',
    eventTime: undefined,
    schemaURL: '',
    extensions: undefined,
    contentType: '',
    data: null,
  };
}

/**
 * Decodes a structured-mode body (already parsed by `JSON.parse`; `text` is the JSON text, read only to quote a bad
 * `eventTime` exactly as Go does) and validates it. `data` is kept as decoded.
 */
export function decodeStructuredV01(value: unknown, text: string): Outcome<CloudEventV01> {
  const fields = emptyFields();
  if (value !== null) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, message: `json: cannot unmarshal ${goJsonKind(value)} into Go value of type event.Event` };
    }
    let typeError: string | undefined;
    let badTime: { member: unknown } | undefined;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const attribute = attributeForKey(key);
      if (attribute === undefined) continue;
      const member = record[key];
      switch (attribute.kind) {
        case 'string':
          // Go leaves a string field untouched for `null`.
          if (typeof member === 'string') setStringField(fields, attribute.name, member);
          else if (member !== null) typeError ??= unmarshalTypeError(member, attribute);
          break;
        case 'time':
          if (member === null) {
            fields.eventTime = undefined;
          } else {
            const parsed = typeof member === 'string' ? parseGoRfc3339(member, false) : undefined;
            if (parsed?.ok === true) fields.eventTime = parsed.value;
            else badTime ??= { member };
          }
          break;
        case 'extensions':
          if (member === null) fields.extensions = undefined;
          // A second `extensions` member merges into the first: Go reuses a non-nil map.
          else if (typeof member === 'object' && !Array.isArray(member)) {
            fields.extensions = fields.extensions === undefined ? (member as JsonObject) : { ...fields.extensions, ...(member as JsonObject) };
          }
          else typeError ??= unmarshalTypeError(member, attribute);
          break;
        default:
          fields.data = member as JsonValue;
      }
    }
    // Go returns an `eventTime` error at once, ahead of any type error it had saved.
    if (badTime !== undefined) return { ok: false, message: eventTimeError(text, badTime.member) };
    if (typeError !== undefined) return { ok: false, message: typeError };
  }
  const invalid = validationMessage(fields);
  return invalid === undefined ? { ok: true, value: makeEventV01(fields) } : { ok: false, message: invalid };
}

type StringField = 'eventType' | 'eventTypeVersion' | 'cloudEventsVersion' | 'source' | 'eventID' | 'schemaURL' | 'contentType';

/** Sets a string attribute (the table's `kind: 'string'` rows). */
function setStringField(fields: FieldsV01, name: keyof CloudEventV01, value: string): void {
  fields[name as StringField] = value;
}

function unmarshalTypeError(member: unknown, attribute: AttributeV01): string {
  return (
    `json: cannot unmarshal ${goJsonKind(member)} into Go struct field Event.${attribute.name} ` +
    `of type ${attribute.goType ?? 'string'}`
  );
}

/**
 * The error of the first non-null `eventTime` member Go fails on. Go's (≤ 1.19) `Time.UnmarshalJSON` parses the raw
 * JSON text, quotes included, with the layout in quotes.
 */
function eventTimeError(text: string, member: unknown): string {
  for (const raw of rawMemberTexts(text, (key) => foldJsonKey(key) === 'eventtime')) {
    if (raw === 'null') continue;
    const parsed = parseGoRfc3339(raw, true);
    if (!parsed.ok) return parsed.message;
  }
  // Not reached for well-formed input: the raw text of a value that fails also fails. Quote the decoded value.
  const parsed = parseGoRfc3339(JSON.stringify(member), true);
  return parsed.ok ? `parsing time ${JSON.stringify(JSON.stringify(member))}: invalid` : parsed.message;
}

const VALIDATION_PREFIX = "CloudEvent doesn't validate: ";

function validatorLine(field: string, tag: string): string {
  return `Key: 'Event.${field}' Error:Field validation for '${field}' failed on the '${tag}' tag`;
}

/** The validator v9 lines, in struct field order; `undefined` when the event is valid. */
function validationMessage(fields: FieldsV01): string | undefined {
  const lines: string[] = [];
  if (fields.eventType === '') lines.push(validatorLine('EventType', 'required'));
  if (fields.cloudEventsVersion === '') lines.push(validatorLine('CloudEventsVersion', 'required'));
  // `uri` comes before `required` in the tag, so an empty source fails on 'uri'.
  if (!isGoValidatorUri(fields.source)) lines.push(validatorLine('Source', 'uri'));
  if (fields.eventID === '') lines.push(validatorLine('EventID', 'required'));
  return lines.length === 0 ? undefined : VALIDATION_PREFIX + lines.join('\n');
}

/**
 * Binary mode (docs/compatibility.md#request-to-event): the context from `CE-*` headers, validated first, then
 * `CE-EventTime`; extensions from every `CE-X-*` header (quirk Q4: exactly the `Ce-X-` prefix of the canonical name is
 * stripped and the first letter of the rest lower-cased: `CE-X-MyExtension` → canonical `Ce-X-Myextension` →
 * `myextension`). `contentType` is the raw Content-Type header; `data` the body normalised by the caller.
 */
export function decodeBinaryV01(headers: HeaderIndex, contentType: string, data: () => JsonValue): Outcome<CloudEventV01> {
  const fields = emptyFields();
  for (const attribute of V01_ATTRIBUTES) {
    if (attribute.kind === 'string' && attribute.header !== undefined) {
      setStringField(fields, attribute.name, firstHeader(headers, attribute.header));
    }
  }
  const invalid = validationMessage(fields);
  if (invalid !== undefined) return { ok: false, message: invalid };

  const time = firstHeader(headers, EVENT_TIME_HEADER);
  if (time !== '') {
    const parsed = parseGoRfc3339(time, false);
    if (!parsed.ok) return { ok: false, message: parsed.message };
    fields.eventTime = parsed.value;
  }

  let extensions: Record<string, JsonValue> | undefined;
  for (const name in headers.flat) {
    if (!name.startsWith('Ce-X-') || name.length === 5) continue;
    extensions ??= {};
    setEntry(extensions, name.charAt(5).toLowerCase() + name.slice(6), headers.flat[name] as string);
  }
  fields.extensions = extensions;
  fields.contentType = contentType;
  fields.data = data();
  return { ok: true, value: makeEventV01(fields) };
}

/** Whether the four headers that select 0.1 binary mode are all present and non-empty. */
export function isBinaryV01(headers: HeaderIndex): boolean {
  for (const header of BINARY_SELECTORS) if (firstHeader(headers, header) === '') return false;
  return true;
}

const BINARY_SELECTORS: readonly string[] = V01_ATTRIBUTES.filter((a) => a.selectsBinary).map((a) => a.header as string);
const EVENT_TIME_HEADER = V01_ATTRIBUTES.find((a) => a.kind === 'time')?.header as string;

function hasKeys(object: JsonObject): boolean {
  for (const _ in object) return true;
  return false;
}

/**
 * Builds a frozen 0.1 event in JSON key order, leaving out what Go's `omitempty` leaves out (empty strings, a
 * missing `eventTime`, empty `extensions`). `data` is always present.
 */
export function makeEventV01(fields: {
  readonly eventType: string;
  readonly eventTypeVersion?: string;
  readonly cloudEventsVersion: string;
  readonly source: string;
  readonly eventID: string;
  readonly eventTime?: string | undefined;
  readonly schemaURL?: string;
  readonly extensions?: JsonObject | undefined;
  readonly contentType?: string;
  readonly data?: JsonValue;
}): CloudEventV01 {
  // Keys are added in JSON order; insertion order is serialisation order.
  const ordered: Record<string, JsonValue> = {};
  ordered['eventType'] = fields.eventType;
  if (fields.eventTypeVersion) ordered['eventTypeVersion'] = fields.eventTypeVersion;
  ordered['cloudEventsVersion'] = fields.cloudEventsVersion;
  ordered['source'] = fields.source;
  ordered['eventID'] = fields.eventID;
  if (fields.eventTime !== undefined) ordered['eventTime'] = fields.eventTime;
  if (fields.schemaURL) ordered['schemaURL'] = fields.schemaURL;
  if (fields.extensions !== undefined && hasKeys(fields.extensions)) ordered['extensions'] = Object.freeze(fields.extensions);
  if (fields.contentType) ordered['contentType'] = fields.contentType;
  ordered['data'] = fields.data === undefined ? null : fields.data;
  return Object.freeze(ordered) as CloudEventV01;
}

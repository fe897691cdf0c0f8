import { isRfc3339, parseMediaType } from '../go/index.js';
import type { HeaderIndex } from './headers.js';
import type { CloudEventV1, JsonValue } from './model.js';
import type { DataV1 } from './normalize.js';
import { setEntry } from './records.js';
import { isAbsoluteUri, isUriReference } from './uri.js';

/**
 * CloudEvents 1.0 (docs/compatibility.md#cloudevents-10): structured JSON, binary `ce-*` headers and batches. Every
 * violation is reported, one per line, behind `CloudEvent doesn't validate: `.
 */

/** Longest `id` accepted (docs/compatibility.md#limits). */
export const MAX_ID_LENGTH = 256;

/** Runs on a string value; returns the problem, if any. */
type Check = (value: string) => string | undefined;

interface AttributeV1 {
  readonly name: string;
  readonly required: boolean;
  /** The rule beyond "is a string". */
  readonly check?: Check;
}

const nonEmpty: Check = (value) => (value === '' ? 'must be a non-empty string' : undefined);

const ATTRIBUTE_TABLE: AttributeV1[] = [
  { name: 'specversion', required: true, check: (v) => (v === '1.0' ? undefined : 'must be "1.0"') },
  {
    name: 'id',
    required: true,
    check: (v) => nonEmpty(v) ?? (v.length > MAX_ID_LENGTH ? `must be at most ${MAX_ID_LENGTH} characters` : undefined),
  },
  { name: 'source', required: true, check: (v) => (isUriReference(v) ? undefined : 'must be a non-empty URI-reference') },
  { name: 'type', required: true, check: nonEmpty },
  { name: 'datacontenttype', required: false, check: (v) => (isMediaType(v) ? undefined : 'must be an RFC 2046 media type') },
  { name: 'dataschema', required: false, check: (v) => (isAbsoluteUri(v) ? undefined : 'must be an absolute URI') },
  { name: 'subject', required: false, check: nonEmpty },
  { name: 'time', required: false, check: (v) => (isRfc3339(v) ? undefined : 'must be an RFC 3339 timestamp') },
];

/** The context attributes of 1.0 in serialisation order. Frozen. */
export const V1_ATTRIBUTES: readonly AttributeV1[] = Object.freeze(ATTRIBUTE_TABLE.map((a) => Object.freeze(a)));

const ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(V1_ATTRIBUTES.map((a) => a.name));
/** Members that are neither context attributes nor extensions. */
const DATA_MEMBERS: ReadonlySet<string> = new Set(['data', 'data_base64']);

function isMediaType(value: string): boolean {
  try {
    return parseMediaType(value) !== '';
  } catch {
    return false;
  }
}

/** Extension names: lower-case ASCII letters and digits (the spec recommends at most 20; longer ones are accepted). */
function isExtensionName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

function isBase64(value: string): boolean {
  let padding = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x3d) {
      padding++;
      continue;
    }
    const alphabet = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!alphabet || padding > 0) return false;
  }
  return padding <= 2 && (padding === 0 || value.length % 4 === 0);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export type DecodeV1Result = { readonly ok: true; readonly value: CloudEventV1 } | { readonly ok: false; readonly problems: string[] };

/**
 * Validates one structured 1.0 event (a parsed JSON object, or the attributes collected from binary headers) and
 * builds the frozen event: context attributes first, then extensions in input order, then `data`/`data_base64`.
 * `null` for an optional attribute or an extension means absent.
 */
export function decodeV1(members: Readonly<Record<string, unknown>>): DecodeV1Result {
  const problems: string[] = [];
  const event: Record<string, JsonValue> = {};
  for (const attribute of V1_ATTRIBUTES) {
    const value = members[attribute.name];
    if (value === undefined || value === null) {
      if (attribute.required) problems.push(`'${attribute.name}' is required`);
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`'${attribute.name}' must be a string, not ${describeType(value)}`);
      continue;
    }
    const problem = attribute.check?.(value);
    if (problem !== undefined) problems.push(`'${attribute.name}' ${problem}`);
    else event[attribute.name] = value;
  }

  for (const name of Object.keys(members)) {
    if (ATTRIBUTE_NAMES.has(name) || DATA_MEMBERS.has(name)) continue;
    const value = members[name];
    if (value === undefined || value === null) continue;
    if (!isExtensionName(name)) {
      problems.push(`extension name ${JSON.stringify(name)} must consist of lower-case letters a-z and digits 0-9`);
    } else if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      event[name] = value;
    } else {
      problems.push(`extension '${name}' must be a string, number or boolean, not ${describeType(value)}`);
    }
  }

  const data = members['data'];
  const dataBase64 = members['data_base64'];
  if (data !== undefined && dataBase64 !== undefined && dataBase64 !== null) {
    problems.push(`'data' and 'data_base64' must not both be present`);
  } else if (data !== undefined) {
    event['data'] = data as JsonValue;
  } else if (dataBase64 !== undefined && dataBase64 !== null) {
    if (typeof dataBase64 === 'string' && isBase64(dataBase64)) event['data_base64'] = dataBase64;
    else problems.push(`'data_base64' must be a base64 string`);
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: Object.freeze(event) as CloudEventV1 };
}

/** The version a structured body declares: `specversion` (exact key) means 1.0; anything else is read as 0.1. */
export function declaresV1(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'specversion');
}

/**
 * The members of a binary-mode 1.0 event: every `ce-<name>` header becomes attribute or extension `<name>` (lower
 * case, value percent-decoded as the HTTP binding asks; repeated headers joined with `", "`), `datacontenttype` is
 * the raw Content-Type, and the body goes to `data`/`data_base64`. A `ce-datacontenttype`, `ce-data` or
 * `ce-data_base64` header is ignored: in binary mode those live in Content-Type and the body.
 */
export function binaryMembersV1(headers: HeaderIndex, contentType: string, data: DataV1): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  for (const header in headers.flat) {
    if (!header.startsWith('Ce-')) continue;
    const name = header.slice(3).toLowerCase();
    if (name === 'datacontenttype' || DATA_MEMBERS.has(name)) continue;
    setEntry(members, name, percentDecode(headers.flat[header] as string));
  }
  if (contentType !== '') members['datacontenttype'] = contentType;
  if (data.kind === 'data') members['data'] = data.value;
  else if (data.kind === 'base64') members['data_base64'] = data.value;
  return members;
}

/** One round of percent-decoding; a `%` that does not start a valid escape, or invalid UTF-8, keeps the value as is. */
function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

import {
  canonicalHeaderKey,
  foldJsonKey,
  isHeaderToken,
  isJsonObject,
  jsonTypeName,
  parseJsonResult,
  sniffContentType,
} from '../go/index.js';
import { FunctionResultError } from './errors.js';

/**
 * What a sync subscriber's result maps to (docs/compatibility.md#sync-responses). Header names are canonical and
 * unique.
 */
export interface SyncHttpResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: string;
}

const STATUS_CODE = foldJsonKey('statusCode');
const HEADERS = foldJsonKey('headers');
const BODY = foldJsonKey('body');
/** Hot path: the usual spellings skip the fold. */
const FOLDED_KEYS = new Map([
  ['statusCode', STATUS_CODE],
  ['headers', HEADERS],
  ['body', BODY],
]);

/** Canonical names of the valid header names seen so far: functions answer with the same few names. */
const canonicalNames = new Map<string, string>();
const CANONICAL_NAMES_LIMIT = 1024;
const LINE_BREAKS = /[\r\n]/g;

/**
 * Decodes a sync function's result as `{statusCode, headers, body}` with Go's encoding/json rules (keys matched
 * case-insensitively, unknown keys ignored, `null` leaves the default) and builds the response the original sent.
 * Anything else throws {@link FunctionResultError} (500 `HTTP response object malformed`).
 */
export function mapSyncResult(result: Buffer | string): SyncHttpResponse {
  const parsed = parseJsonResult(result);
  if (!parsed.ok) throw new FunctionResultError(parsed.reason);
  const value = parsed.value;
  if (value !== null && !isJsonObject(value)) {
    throw new FunctionResultError(`result is a JSON ${jsonTypeName(value)}, not an object`);
  }

  let statusCode = 200;
  const headers = new Map<string, string>();
  let body = '';
  if (value === null) return buildResponse(statusCode, headers, body);
  for (const key of Object.keys(value)) {
    const field = value[key];
    const folded = FOLDED_KEYS.get(key) ?? foldJsonKey(key);
    if (folded === HEADERS) {
      // Go resets a map on `null` and merges a repeated (differently spelled) `headers` object into it.
      if (field === null) headers.clear();
      else decodeHeaders(field, headers);
    } else if (field === null) {
      continue; // Go leaves strings and numbers unchanged on `null`
    } else if (folded === STATUS_CODE) {
      statusCode = decodeStatusCode(field);
    } else if (folded === BODY) {
      body = decodeBody(field);
    }
  }
  return buildResponse(statusCode, headers, body);
}

function decodeStatusCode(field: unknown): number {
  // Go's http server only accepts three-digit codes (it aborted the connection otherwise; quirk Q11 makes it a 500).
  if (typeof field !== 'number' || !Number.isInteger(field) || field < 100 || field > 999) {
    throw new FunctionResultError(`statusCode ${JSON.stringify(field)} is not an integer between 100 and 999`);
  }
  return field;
}

function decodeHeaders(field: unknown, headers: Map<string, string>): void {
  if (!isJsonObject(field)) throw new FunctionResultError(`headers is a JSON ${jsonTypeName(field)}, not an object`);
  for (const name of Object.keys(field)) {
    const value = field[name];
    if (value !== null && typeof value !== 'string') {
      throw new FunctionResultError(`header ${JSON.stringify(name)} is a JSON ${jsonTypeName(value)}, not a string`);
    }
    const canonical = canonicalName(name);
    // Go wrote such a name verbatim, producing a broken response; Node refuses to send it at all.
    if (canonical === undefined) throw new FunctionResultError(`header name ${JSON.stringify(name)} is not a valid token`);
    headers.delete(canonical); // the last spelling wins and takes the last position
    headers.set(canonical, withoutLineBreaks(value ?? ''));
  }
}

/** The canonical form of a valid header name; undefined for a name that is not a token. */
function canonicalName(name: string): string | undefined {
  const cached = canonicalNames.get(name);
  if (cached !== undefined) return cached;
  if (!isHeaderToken(name)) return undefined;
  const canonical = canonicalHeaderKey(name);
  if (canonicalNames.size < CANONICAL_NAMES_LIMIT) canonicalNames.set(name, canonical);
  return canonical;
}

/** Go's server turned line breaks in header values into spaces. */
function withoutLineBreaks(value: string): string {
  return value.includes('\r') || value.includes('\n') ? value.replace(LINE_BREAKS, ' ') : value;
}

function decodeBody(field: unknown): string {
  if (typeof field !== 'string') throw new FunctionResultError(`body is a JSON ${jsonTypeName(field)}, not a string`);
  return field;
}

/** What Go's server did with the handler's headers and body (net/http `chunkWriter.writeHeader`). */
function buildResponse(statusCode: number, headers: Map<string, string>, body: string): SyncHttpResponse {
  if (!bodyAllowedForStatus(statusCode)) {
    headers.delete('Content-Length');
    headers.delete('Transfer-Encoding');
    if (statusCode === 304) headers.delete('Content-Type');
    return { statusCode, headers: [...headers], body: '' };
  }
  const sniff =
    body !== '' &&
    !headers.has('Content-Type') &&
    !headers.get('Content-Encoding') &&
    !headers.get('Transfer-Encoding');
  if (sniff) headers.set('Content-Type', sniffContentType(body));
  return { statusCode, headers: [...headers], body };
}

function bodyAllowedForStatus(statusCode: number): boolean {
  return !((statusCode >= 100 && statusCode <= 199) || statusCode === 204 || statusCode === 304);
}

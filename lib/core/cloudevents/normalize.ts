import { isUtf8 } from 'node:buffer';

import type { RequestBody } from './body.js';
import type { JsonValue } from './model.js';

/**
 * Body normalisation (docs/compatibility.md#body-normalisation). `mediaType` is always the *parsed* media type,
 * lower-cased and without parameters (quirk Q5), so `application/json; charset=utf-8` gives an object where the
 * original gave base64.
 */

export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function isFormMediaType(mediaType: string): boolean {
  return mediaType.startsWith('multipart/form-data') || mediaType === 'application/x-www-form-urlencoded';
}

function isPlainObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The 0.1 `data` (and the `http.request` `body`): an empty body is `""`; a JSON body that is an object is that
 * object (`null` stays `null`, as Go's decoding into a map gives); form bodies are text; anything else, including
 * JSON arrays, scalars and invalid JSON, is the raw bytes as standard base64.
 */
export function normalizeBodyV01(body: RequestBody, mediaType: string): JsonValue {
  if (body.isEmpty) return '';
  if (isJsonMediaType(mediaType)) {
    const parsed = body.json();
    if (parsed.ok && (parsed.value === null || isPlainObject(parsed.value))) return parsed.value as JsonValue;
    return body.base64();
  }
  if (isFormMediaType(mediaType)) return body.text();
  return body.base64();
}

/** Where a 1.0 event carries its body. */
export type DataV1 =
  | { readonly kind: 'none' }
  | { readonly kind: 'data'; readonly value: JsonValue }
  | { readonly kind: 'base64'; readonly value: string };

const NO_DATA: DataV1 = Object.freeze({ kind: 'none' });

/**
 * The 1.0 data of a body, following the CloudEvents JSON format: none for an empty body; any JSON value for a JSON
 * media type; text for `text/*` and form bodies that are valid UTF-8; `data_base64` for everything else
 * (including JSON media types whose body is not JSON).
 */
export function normalizeBodyV1(body: RequestBody, mediaType: string): DataV1 {
  if (body.isEmpty) return NO_DATA;
  if (isJsonMediaType(mediaType)) {
    const parsed = body.json();
    if (parsed.ok) return { kind: 'data', value: parsed.value as JsonValue };
  } else if ((mediaType.startsWith('text/') || isFormMediaType(mediaType)) && isUtf8(body.bytes)) {
    return { kind: 'data', value: body.text() };
  }
  return { kind: 'base64', value: body.base64() };
}

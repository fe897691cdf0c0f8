import { canonicalHeaderKey } from '../go/index.js';
import { upperAscii } from './compile.js';
import type { CompiledCors } from './compile.js';

/** One response header; a name may appear more than once (the three `Vary` entries). */
export type HeaderEntry = [name: string, value: string];

export interface PreflightRequest {
  /** The `Origin` header; absent or empty means missing. */
  origin?: string;
  /** The `Access-Control-Request-Method` header (non-empty, or this is not a preflight). */
  requestMethod: string;
  /** The `Access-Control-Request-Headers` header. */
  requestHeaders?: string;
}

export interface ActualRequest {
  method: string;
  origin?: string;
}

const VARY_ORIGIN = 'Origin';
const VARY_REQUEST_METHOD = 'Access-Control-Request-Method';
const VARY_REQUEST_HEADERS = 'Access-Control-Request-Headers';
const HEADER_LIST_SEPARATORS = /[,\s]+/;

/**
 * The headers of a CORS preflight answer (docs/compatibility.md#cors). The answer itself is always `200` with an empty
 * body; when the origin, method or headers are not allowed, only the three `Vary` entries are returned.
 */
export function evaluatePreflight(cors: CompiledCors, request: PreflightRequest): HeaderEntry[] {
  const headers: HeaderEntry[] = [
    ['Vary', VARY_ORIGIN],
    ['Vary', VARY_REQUEST_METHOD],
    ['Vary', VARY_REQUEST_HEADERS],
  ];
  const origin = request.origin;
  if (!origin || !isOriginAllowed(cors, origin)) return headers;
  if (!isMethodAllowed(cors, request.requestMethod)) return headers;
  const requested = parseHeaderList(request.requestHeaders ?? '');
  if (!areHeadersAllowed(cors, requested)) return headers;

  headers.push(['Access-Control-Allow-Origin', cors.allowOriginStar ? '*' : origin]);
  headers.push(['Access-Control-Allow-Methods', upperAscii(request.requestMethod)]);
  if (requested.length > 0) headers.push(['Access-Control-Allow-Headers', requested.join(', ')]);
  if (cors.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
  return headers;
}

/**
 * The CORS headers added to an ordinary (non-preflight) request before the event pipeline runs
 * (docs/compatibility.md#cors). An `OPTIONS` request gets nothing, not even `Vary`.
 */
export function evaluateActual(cors: CompiledCors, request: ActualRequest): HeaderEntry[] {
  if (request.method === 'OPTIONS') return [];
  const headers: HeaderEntry[] = [['Vary', VARY_ORIGIN]];
  const origin = request.origin;
  if (!origin || !isOriginAllowed(cors, origin)) return headers;
  if (!isMethodAllowed(cors, request.method)) return headers;

  headers.push(['Access-Control-Allow-Origin', cors.allowOriginStar ? '*' : origin]);
  if (cors.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
  return headers;
}

export function isOriginAllowed(cors: CompiledCors, origin: string): boolean {
  if (cors.anyOrigin) return true;
  const lower = origin.toLowerCase();
  if (cors.origins.has(lower)) return true;
  return cors.originPatterns.some(
    ({ prefix, suffix }) =>
      lower.length >= prefix.length + suffix.length && lower.startsWith(prefix) && lower.endsWith(suffix),
  );
}

function isMethodAllowed(cors: CompiledCors, method: string): boolean {
  const upper = upperAscii(method);
  return upper === 'OPTIONS' || cors.methods.has(upper);
}

function areHeadersAllowed(cors: CompiledCors, requested: readonly string[]): boolean {
  return cors.anyHeader || requested.every((name) => cors.headers.has(name));
}

/** `Access-Control-Request-Headers` split on commas and whitespace, each name canonicalised. */
function parseHeaderList(list: string): string[] {
  return list
    .split(HEADER_LIST_SEPARATORS)
    .filter((name) => name !== '')
    .map(canonicalHeaderKey);
}

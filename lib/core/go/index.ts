/**
 * Go behaviour the gateway copies only for byte-compatibility with the original Go gateway: its JSON decoding and
 * error texts, `time.Parse` with RFC 3339, `mime.ParseMediaType`, `http.DetectContentType`, header-name
 * canonicalisation, `url.ParseRequestURI` and httprouter's route-conflict texts. New code that needs none of the
 * original's bytes should not use it. See README.md.
 */
export * from './json/index.js';
export { canonicalHeaderKey, isHeaderToken } from './header-key.js';
export {
  duplicateRouteError,
  parameterConflictError,
  PathConflictError,
  staticConflictError,
  wildcardConflictError,
  wildcardNotLastError,
} from './httprouter.js';
export { parseMediaType } from './media-type.js';
export { formatLocalTimestamp, isRfc3339, parseGoRfc3339, type TimeParseResult } from './rfc3339.js';
export { sniffContentType, TEXT_HTML, TEXT_PLAIN } from './sniff.js';
export { isGoValidatorUri } from './url.js';

/**
 * Default request limits shared by the core's parsers and the gateway's settings (lib/settings): one value each,
 * imported wherever a component falls back to it (docs/operations.md#flags).
 */

/** Deepest JSON nesting in a body (both APIs). */
export const DEFAULT_MAX_JSON_DEPTH = 64;
/** Longest id, name or path in the config API, in characters. */
export const DEFAULT_MAX_ID_LENGTH = 256;
/** Most events in one CloudEvents batch. */
export const DEFAULT_MAX_BATCH_SIZE = 100;
/** Largest events-API request body, in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** Most header lines in one request. */
export const DEFAULT_MAX_HEADERS = 100;
/** Largest size of all headers of one request, in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

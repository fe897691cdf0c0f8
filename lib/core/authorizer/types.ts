/**
 * The `http.request` event data object (docs/compatibility.md#http-request-events); key order is the JSON key order.
 */
export interface HttpRequestData {
  /** Every request header but `Host`, Go-canonical names, repeated values joined with `", "`. */
  headers: Record<string, string>;
  /** Decoded query parameters, always arrays. */
  query: Record<string, string[]>;
  /** The normalised body (docs/compatibility.md#body-normalisation). */
  body: unknown;
  /** The Host header, port included. */
  host: string;
  /** The decoded URL path, no query. */
  path: string;
  method: string;
  /** Sync path parameters; `null` for async delivery, the root `/`, and authorizer payloads. */
  params: Record<string, string> | null;
}

/**
 * What an allowing authorizer attaches as `extensions.eventgateway.authorization` (docs/compatibility.md#authorizers).
 */
export interface Authorization {
  principalId: string;
  context: Record<string, string> | null;
}

export type AuthorizerDecision =
  | { allow: true; authorization: Authorization | null }
  | { allow: false; reason: string };

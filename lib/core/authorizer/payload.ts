import type { HttpRequestData } from './types.js';

/**
 * The payload an authorizer function is invoked with (docs/compatibility.md#authorizers): `{"event":…,"request":…}`.
 * `event` is serialised as given (a model object's `toJSON` applies); for an `http.request` event the caller passes it
 * before its `params` are set, so they are still `null`. The request is the http.request data object
 * (docs/compatibility.md#http-request-events) with `body` and `params` set to `null`.
 */
export function authorizerPayload(eventJson: unknown, request: HttpRequestData | null): string {
  const requestJson =
    request === null
      ? null
      : {
          headers: request.headers,
          query: request.query,
          body: null,
          host: request.host,
          path: request.path,
          method: request.method,
          params: null,
        };
  return JSON.stringify({ event: eventJson, request: requestJson });
}

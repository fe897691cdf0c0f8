/**
 * The one request/response shape of the config API. Transport adapters (the local node:http server, the Lambda
 * handler) translate to and from it; the handlers never see a socket or a Lambda event.
 */
export interface ConfigRequest {
  method: string;
  /** The path exactly as received: still percent-encoded, without the query. */
  rawPath: string;
  /** The text after `?`, or `''`. */
  rawQuery: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body as UTF-8 text (`''` when there is none). */
  body: string;
  /** The TCP peer is on the loopback interface (set by the node:http adapter from the socket, never from headers). */
  fromLoopback?: boolean;
}

export interface ConfigResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** `''` for no body. */
  body: string;
}

export type ConfigHandler = (request: ConfigRequest) => Promise<ConfigResponse>;

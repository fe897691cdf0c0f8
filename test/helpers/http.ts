import { request as httpRequest } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = unknown>(): T;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * A raw HTTP/1.1 call: the path goes on the wire exactly as given (no URL normalisation), which the tests of
 * percent-encoded ids, redirects and unclean paths need.
 */
export function http(baseUrl: string, path: string, options: HttpOptions = {}): Promise<HttpResult> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, method: options.method ?? 'GET', path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** JSON convenience on top of {@link http}. */
export function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return http(baseUrl, path, {
    method,
    body: payload,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
  });
}

/** The one error message of a `{"errors":[{"message":…}]}` envelope. */
export function errorMessage(result: HttpResult): string {
  const body = result.json<{ errors: Array<{ message: string }> }>();
  if (!Array.isArray(body.errors) || body.errors.length !== 1) throw new Error(`not an error envelope: ${result.text}`);
  return body.errors[0]!.message;
}

// The config API's HTTP API, as API Gateway runs it with a Lambda proxy integration of payload format 2.0: each
// request becomes a v2 event for the function, and its result becomes the response (a result without
// `statusCode` is a 200 JSON body; a function error is a 500 and a timeout a 503, with API Gateway's bodies).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FunctionError, type LocalFunction } from './lambda.js';

/** API Gateway gives up on an integration after 30 s. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const TEXT_TYPES = /^(text\/|application\/(json|[^;]*\+json|xml|[^;]*\+xml|javascript|x-www-form-urlencoded))/i;

export interface HttpApiOptions {
  fn: LocalFunction;
  apiId: string;
  host: string;
  port: number;
  region: string;
}

function v2Event(req: IncomingMessage, body: Buffer, options: HttpApiOptions, domainName: string): Record<string, unknown> {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim()).filter(Boolean);
  const text = body.length === 0 || TEXT_TYPES.test(req.headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: options.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !text,
  };
}

interface V2Result {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

function send(res: ServerResponse, result: unknown): void {
  if (result === null || typeof result !== 'object' || typeof (result as V2Result).statusCode !== 'number') {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const r = result as V2Result;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (r.cookies && r.cookies.length > 0) headers['set-cookie'] = r.cookies;
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(r.statusCode!, headers);
  res.end(body);
}

function sendGatewayError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message }));
}

export async function startHttpApi(options: HttpApiOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const domainName = `${options.apiId}.execute-api.${options.region}.amazonaws.com`;
      const event = v2Event(req, Buffer.concat(chunks), options, domainName);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), INTEGRATION_TIMEOUT_MS);
      });
      Promise.race([options.fn.invoke(event), timeout])
        .then((result) => send(res, result))
        .catch((error: unknown) => {
          const timedOut = (error as Error).message === 'timeout' || (error instanceof FunctionError && error.errorType === 'Sandbox.Timedout');
          if (timedOut) sendGatewayError(res, 503, 'Service Unavailable');
          else sendGatewayError(res, 500, 'Internal Server Error');
        })
        .finally(() => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

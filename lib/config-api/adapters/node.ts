import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadTooLargeError } from '../../core/errors/index.js';
import { isLoopbackAddress, readBody } from '../../http/index.js';
import { goJson } from '../api.js';
import type { ConfigHandler, ConfigRequest } from '../types.js';

export interface NodeConfigListenerOptions {
  /** Largest request body accepted; larger ones get 413 with the error envelope. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Most header lines in one request; more get 431 with the envelope. @default 100 */
  maxHeaders?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Serves a {@link ConfigHandler} from node:http: translates IncomingMessage → ConfigRequest → ServerResponse. */
export function nodeConfigListener(handler: ConfigHandler, options: NodeConfigListenerOptions = {}) {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxHeaders = options.maxHeaders ?? 100;
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.rawHeaders.length > maxHeaders * 2) {
      req.resume();
      res.writeHead(431, { 'content-type': 'application/json', connection: 'close' });
      res.end(goJson({ errors: [{ message: `Request Header Fields Too Large: the limit is ${maxHeaders} headers.` }] }));
      return;
    }
    readBodyText(req, maxBodyBytes).then(
      async (body) => {
        const response = await handler(toConfigRequest(req, body));
        res.writeHead(response.statusCode, response.headers);
        res.end(response.body);
      },
      (error: unknown) => {
        const status = error instanceof PayloadTooLargeError ? 413 : 400;
        const message = error instanceof Error ? error.message : 'invalid request body';
        res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
        res.end(goJson({ errors: [{ message }] }));
      },
    ).catch((error: unknown) => {
      // Only a failure to write the response lands here; the socket is already gone or broken.
      res.destroy(error instanceof Error ? error : undefined);
    });
  };
}

function toConfigRequest(req: IncomingMessage, body: string): ConfigRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: req.method ?? 'GET',
    rawPath: q === -1 ? url : url.slice(0, q),
    rawQuery: q === -1 ? '' : url.slice(q + 1),
    headers,
    body,
    fromLoopback: isLoopbackAddress(req.socket.remoteAddress),
  };
}

/** The body as UTF-8 text; rejects with the 413 error when it is larger than `limit` bytes. */
async function readBodyText(req: IncomingMessage, limit: number): Promise<string> {
  const body = await readBody(req, limit);
  if (body === undefined) throw new PayloadTooLargeError(`Request body too large: the limit is ${limit} bytes.`);
  return body.toString('utf8');
}

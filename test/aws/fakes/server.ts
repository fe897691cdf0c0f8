import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who signed a request: from the SigV4 `Authorization` header (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
export interface Signer {
  accessKeyId: string;
  region: string;
  service: string;
  /** `x-amz-security-token`, when the credentials had one. */
  sessionToken: string | undefined;
}

const CREDENTIAL = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

export function signerOf(req: IncomingMessage): Signer | undefined {
  const match = CREDENTIAL.exec(req.headers.authorization ?? '');
  if (match === null) return undefined;
  const token = req.headers['x-amz-security-token'];
  return {
    accessKeyId: match[1] ?? '',
    region: match[2] ?? '',
    service: match[3] ?? '',
    sessionToken: Array.isArray(token) ? token[0] : token,
  };
}

/** A node:http server on 127.0.0.1 and a free port, handing each request to `handle` with its whole body. */
export class LoopbackServer {
  private readonly server: Server;

  constructor(handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        Promise.resolve(handle(req, res, Buffer.concat(chunks))).catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        });
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get endpoint(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Resolves after `ms`, or at once when `ms` is 0 or undefined. */
export function delay(ms: number | undefined): Promise<void> {
  return ms ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

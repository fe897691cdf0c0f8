import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a token endpoint received. */
export interface TokenRequest {
  readonly headers: IncomingMessage['headers'];
  readonly form: URLSearchParams;
}

export interface TokenReply {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The common part of the token endpoint fakes: a real HTTP server on 127.0.0.1 that reads form posts, records them,
 * and can be taken down (connections reset) and brought back on the same port.
 */
export abstract class TokenServer {
  readonly requests: TokenRequest[] = [];
  /** Answers that were tokens (2xx). */
  fetches = 0;
  /** While true, every connection is reset before an answer: the endpoint is down. */
  down = false;
  /** Delays every answer by this much (a slow endpoint, to see single flight). */
  delayMs = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server;
  private port = 0;

  protected constructor() {
    this.server = this.createServer();
  }

  /** The endpoint's URL: `http://127.0.0.1:<port>/token`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Closes the listener: connections are refused until {@link restart}. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    this.server = this.createServer();
    await this.listen();
  }

  close(): Promise<void> {
    return this.stop();
  }

  protected abstract answer(request: TokenRequest): TokenReply;

  private createServer(): Server {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: TokenRequest = { headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) };
      this.requests.push(request);
      const reply =
        req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
          ? { status: 400, body: { error: 'invalid_request', error_description: 'a form POST is expected' } }
          : this.answer(request);
      if (reply.status >= 200 && reply.status < 300) this.fetches++;
      const send = () => {
        res.writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(reply.body));
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
  }
}

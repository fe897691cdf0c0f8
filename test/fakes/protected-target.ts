import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the target received, and whether its credentials were accepted. */
export interface GuardedRequest {
  readonly method: string;
  readonly path: string;
  /** Path and query as on the wire. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Undefined when accepted, else why it was refused. */
  readonly refusal: string | undefined;
}

/** Accepts a request (undefined) or says why not. */
export type CredentialCheck = (request: Omit<GuardedRequest, 'refusal'>) => Promise<string | undefined> | string | undefined;

interface Guard {
  readonly check: CredentialCheck;
  /** The status of a refusal: 401, or 403 as AWS answers a bad signature. */
  readonly status: number;
}

/**
 * A function behind authentication: a real HTTP server on 127.0.0.1 whose paths each check the caller's credentials
 * (the fakes' tokens, a SigV4 signature, basic auth). An accepted call gets `200` with a sync response object
 * (`{"statusCode":200,"body":"ok <path>"}`), a refused one the guard's status.
 */
export class ProtectedTarget {
  readonly received: GuardedRequest[] = [];
  private readonly guards = new Map<string, Guard>();
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<ProtectedTarget> {
    let target: ProtectedTarget | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void target!.handle(req, Buffer.concat(chunks).toString('utf8')).then(({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body);
          target!.notify();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = new ProtectedTarget(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return target;
  }

  /** Protects `path` with `check`; returns the path's URL. */
  protect(path: string, check: CredentialCheck, status = 401): string {
    this.guards.set(path, { check, status });
    return this.origin + path;
  }

  accepted(path: string): GuardedRequest[] {
    return this.received.filter((r) => r.path === path && r.refusal === undefined);
  }

  refused(path: string): GuardedRequest[] {
    return this.received.filter((r) => r.path === path && r.refusal !== undefined);
  }

  /** Resolves once `path` accepted `count` requests in all; rejects after `timeoutMs`. */
  async waitForAccepted(path: string, count: number, timeoutMs = 5000): Promise<GuardedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted(path).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.received.filter((r) => r.path === path).map((r) => r.refusal ?? 'accepted');
        throw new Error(`${path} accepted ${this.accepted(path).length} of ${count} requests in ${timeoutMs} ms (${JSON.stringify(seen)})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.accepted(path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, body: string): Promise<{ status: number; body: string }> {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const request = { method: req.method ?? '', path, url, headers: req.headers, body };
    const guard = this.guards.get(path);
    const refusal = guard === undefined ? `no guard for ${path}` : await guard.check(request);
    this.received.push({ ...request, refusal });
    if (refusal !== undefined) return { status: guard?.status ?? 404, body: JSON.stringify({ message: refusal }) };
    return { status: 200, body: JSON.stringify({ statusCode: 200, body: `ok ${path}` }) };
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

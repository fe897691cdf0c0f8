import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
  /** The client's port: one per connection, so equal ports mean a reused connection. */
  remotePort: number;
}

/** Answers a request itself (delay, destroy the socket, stream…), in place of {@link Sink.reply}. */
export type SinkResponder = (req: IncomingMessage, res: ServerResponse, received: ReceivedRequest) => void;

export type SinkReply = { status?: number; headers?: Record<string, string>; body?: string } | ((req: ReceivedRequest) => SinkReply);

/**
 * A function for the gateway to call: a real HTTP server on 127.0.0.1 that records every request and answers with
 * a configurable reply (default 200 `{}`).
 */
export class Sink {
  readonly received: ReceivedRequest[] = [];
  reply: SinkReply = { status: 200, body: '{}' };
  /** When set, answers every request instead of {@link reply}. */
  respond: SinkResponder | undefined;
  /** TCP connections accepted. */
  connections = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(reply?: SinkReply, port = 0): Promise<Sink> {
    let sink: Sink | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json, remotePort: req.socket.remotePort ?? 0 };
        sink!.received.push(received);
        if (sink!.respond) {
          sink!.respond(req, res, received);
          sink!.notify();
          return;
        }
        let reply = sink!.reply;
        while (typeof reply === 'function') reply = reply(received);
        res.writeHead(reply.status ?? 200, reply.headers ?? { 'content-type': 'application/json' });
        res.end(reply.body ?? '');
        sink!.notify();
      });
    });
    server.on('connection', () => {
      if (sink) sink.connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    sink = new Sink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    if (reply) sink.reply = reply;
    return sink;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The URL without its trailing slash, to append a path to. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Forgets what was received and counted, and answers with the default reply again. */
  reset(): void {
    this.received.length = 0;
    this.connections = 0;
    this.reply = { status: 200, body: '{}' };
    this.respond = undefined;
  }

  /** Resolves once `count` requests have arrived in all; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
    if (this.received.length >= count) return Promise.resolve(this.received);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sink got ${this.received.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(this.received); } });
    });
  }

  /** The JSON events received, in order. */
  events<T = Record<string, unknown>>(): T[] {
    return this.received.map((r) => r.json as T);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => this.received.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.received.length < w.count);
    for (const w of ready) w.resolve();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A target that answers after `delayMs`, recording arrival times and the most requests it ever had at once. */
export async function slowSink(delayMs: number) {
  const sink = await Sink.start();
  const state = { active: 0, maxActive: 0, arrivals: [] as number[] };
  sink.respond = (_req, res) => {
    state.arrivals.push(performance.now());
    state.active += 1;
    state.maxActive = Math.max(state.maxActive, state.active);
    setTimeout(() => {
      state.active -= 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }, delayMs);
  };
  return { sink, state };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowCall {
  webhookId: string;
  body: string;
  arrivedAt: number;
  /** When the answer was written; undefined while the call is open. */
  answeredAt?: number;
}

/**
 * An http function on 127.0.0.1 that answers 200 after a delay: `firstDelayMs` for the first call of a
 * `webhook-id` whose body `isSlow` picks, at once for any other call (a redelivery included), so that a test can
 * see which calls got through.
 */
export class SlowFunction {
  readonly calls: SlowCall[] = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(firstDelayMs: number, isSlow: (body: string) => boolean = () => true): Promise<SlowFunction> {
    let fn: SlowFunction | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const webhookId = String(req.headers['webhook-id'] ?? '');
        const call: SlowCall = { webhookId, body: Buffer.concat(chunks).toString('utf8'), arrivedAt: Date.now() };
        const first = isSlow(call.body) && !fn!.calls.some((c) => c.webhookId === webhookId);
        fn!.calls.push(call);
        setTimeout(() => {
          call.answeredAt = Date.now();
          if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }, first ? firstDelayMs : 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fn = new SlowFunction(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return fn;
  }

  /** The calls that carried this `webhook-id`. */
  callsOf(webhookId: string): SlowCall[] {
    return this.calls.filter((c) => c.webhookId === webhookId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

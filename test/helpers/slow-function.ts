import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from './http.js';
import { eventually } from './sink.js';

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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An async subscription of event type `order.placed` to the http function at `functionUrl`. */
export async function configure(configUrl: string, functionUrl: string): Promise<void> {
  for (const [resource, body] of [
    ['eventtypes', { name: 'order.placed' }],
    ['functions', { functionId: 'slow', type: 'http', provider: { url: functionUrl } }],
    // The http default of 5 s would time the 8 s call out.
    ['subscriptions', { type: 'async', eventType: 'order.placed', functionId: 'slow', timeoutMs: 20_000 }],
  ] as const) {
    const res = await call(configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
    assert.equal(res.status, 201, res.text);
  }
}

/** Emits one `order.placed` event whose data carries `id`; resolves with the status. */
export async function emit(eventsUrl: string, id: string): Promise<number> {
  const res = await fetch(`${eventsUrl}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/shutdown', eventID: id, data: { id } }),
  });
  await res.arrayBuffer();
  return res.status;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** Resolves when the child exits, with when. */
export function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, at: Date.now() });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
}

export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The `webhook-id` of the first call that carried event `id`. */
export async function firstCallOf(fn: SlowFunction, id: string): Promise<string> {
  await eventually(() => fn.calls.some((c) => c.body.includes(`"${id}"`)), 5000, `a call carrying ${id}`);
  return fn.calls.find((c) => c.body.includes(`"${id}"`))!.webhookId;
}

import type { EventRequest, GatewayEvent, ParseOptions } from '../../../lib/core/cloudevents/index.js';
import { parseEventRequest } from '../../../lib/core/cloudevents/index.js';

// Gateway-made `eventTime`s are written in the server's offset; pin it so that expected texts are stable.
process.env.TZ = 'UTC';

export const FIXED_ID = '0b2c7a59-6b8d-4f6e-9a57-1f9d2b3c4d5e';
/** 2018-07-20T10:00:00.123Z; test files that look at `eventTime` run with TZ=UTC. */
export const FIXED_NOW = new Date(Date.UTC(2018, 6, 20, 10, 0, 0, 123));
export const FIXED_TIME = '2018-07-20T10:00:00.123000000Z';
export const GATEWAY_SOURCE = 'https://serverless.com/event-gateway/#transformationVersion=0.1';

export const clock: ParseOptions = { now: () => FIXED_NOW, newId: () => FIXED_ID };

export interface RequestParts {
  method?: string;
  path?: string;
  query?: string;
  headers?: string[];
  body?: string | Buffer;
}

export function request(parts: RequestParts = {}): EventRequest {
  return {
    method: parts.method ?? 'POST',
    rawPath: parts.path ?? '/',
    rawQuery: parts.query ?? '',
    rawHeaders: parts.headers ?? [],
    body: typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : (parts.body ?? Buffer.alloc(0)),
  };
}

/** Parses a request that must give a single event. */
export function parseOne(parts: RequestParts, options: ParseOptions = {}): GatewayEvent {
  const parsed = parseEventRequest(request(parts), { ...clock, ...options });
  if (parsed.kind !== 'single') throw new Error(`expected a single event, got ${parsed.kind}`);
  return parsed.event;
}

/** The event as a plain JSON value, for deepStrictEqual against literals (drops prototypes and frozenness). */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Runs `action` and returns the thrown error's status and message. */
export function failure(action: () => unknown): { status: number; message: string } {
  try {
    action();
  } catch (error) {
    const e = error as { statusCode?: number; message: string };
    return { status: e.statusCode ?? -1, message: e.message };
  }
  throw new Error('expected an error');
}

export function parseFailure(parts: RequestParts, options: ParseOptions = {}): { status: number; message: string } {
  return failure(() => parseEventRequest(request(parts), { ...clock, ...options }));
}

export const GATEWAY_EXTENSIONS = { eventgateway: { transformed: 'true', 'transformation-version': '0.1' } };

import type { GatewayEvent } from '../core/cloudevents/model.js';
import type { Connection, SourceRecord } from '../core/connections/index.js';

/** What the gateway answered for one event made from a record. */
export type SinkResult =
  /** Durably accepted: the record may be acknowledged. */
  | { kind: 'accepted' }
  /** Not now (429 queue full, 5xx, unreachable): wait and offer it again; never skip it. */
  | { kind: 'retry'; reason: string; afterMs?: number }
  /** Never acceptable (4xx): the record becomes a dead letter of its connection. */
  | { kind: 'rejected'; status: number; message: string };

/** Takes an event into the gateway: in-process into a space's routing, or over HTTP to another events API. */
export interface EventSink {
  accept(connection: Connection, record: SourceRecord, event: GatewayEvent, signal: AbortSignal): Promise<SinkResult>;
}

/** How long an HTTP emission may take before it counts as a failure to retry. */
export const HTTP_SINK_TIMEOUT_MS = 30_000;

/**
 * Emits to the connection's `target` over HTTP, as the original connector did, in structured mode. 2xx is
 * acceptance (our events API answers 202 only once every async delivery is committed); 429, 408 and 5xx are retried
 * after `Retry-After` (or the caller's back-off); any other status is a refusal.
 */
export class HttpSink implements EventSink {
  async accept(connection: Connection, _record: SourceRecord, event: GatewayEvent, signal: AbortSignal): Promise<SinkResult> {
    const target = connection.target ?? '';
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(HTTP_SINK_TIMEOUT_MS)]),
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return { kind: 'retry', reason: `${target} unreachable: ${(error as Error).message}` };
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 200 && response.status < 300) return { kind: 'accepted' };
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      const afterMs = retryAfterMs(response.headers.get('retry-after'));
      return { kind: 'retry', reason: `${target} answered ${response.status}`, ...(afterMs !== undefined ? { afterMs } : {}) };
    }
    return { kind: 'rejected', status: response.status, message: errorMessage(text) ?? `${target} answered ${response.status}` };
  }
}

function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** `errors[0].message` of the gateway's envelope, when the body is one. */
function errorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ message?: unknown }> };
    const message = parsed.errors?.[0]?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return body.trim() === '' ? undefined : body.slice(0, 500);
  }
}

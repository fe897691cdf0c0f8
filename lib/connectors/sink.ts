import type { GatewayEvent } from '../core/cloudevents/model.js';
import type { Connection, SourceRecord } from '../core/connections/index.js';
import { Agent, fetch, type Response } from 'undici';
import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { parseRetryAfter } from '../invokers/http/retry-after.js';
import { findSsrfRefusal, guardedLookup, isAddressAllowed, normaliseHostLiteral, type TargetPolicy } from '../invokers/http/ssrf-guard.js';

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
  private readonly dispatcher: Agent;
  private readonly targetPolicy: TargetPolicy | undefined;

  /**
   * With `targetPolicy`, the SSRF guard of http functions checks the address each connection actually goes to (the
   * same connect-time lookup as the http invoker's): a refused address makes the record a dead letter (403).
   */
  constructor(options: { targetPolicy?: TargetPolicy; lookup?: LookupFunction } = {}) {
    const lookup = options.lookup ?? dnsLookup;
    this.targetPolicy = options.targetPolicy;
    this.dispatcher = new Agent({ connect: { lookup: options.targetPolicy ? guardedLookup(options.targetPolicy, lookup) : lookup } });
  }

  async accept(connection: Connection, _record: SourceRecord, event: GatewayEvent, signal: AbortSignal): Promise<SinkResult> {
    const target = connection.target ?? '';
    const refusedLiteral = this.literalRefusal(target);
    if (refusedLiteral) return refusedLiteral;
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(HTTP_SINK_TIMEOUT_MS)]),
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const refused = findSsrfRefusal(error);
      if (refused) return refusedBySsrfGuard(target, refused.address, refused.reason);
      return { kind: 'retry', reason: `${target} unreachable: ${(error as Error).message}` };
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 200 && response.status < 300) return { kind: 'accepted' };
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      const afterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
      return { kind: 'retry', reason: `${target} answered ${response.status}`, ...(afterMs !== undefined ? { afterMs } : {}) };
    }
    return { kind: 'rejected', status: response.status, message: errorMessage(text) ?? `${target} answered ${response.status}` };
  }

  /** An address literal is connected to without a lookup, so the guard checks it here. */
  private literalRefusal(target: string): SinkResult | undefined {
    if (this.targetPolicy === undefined) return undefined;
    const literal = normaliseHostLiteral(new URL(target).hostname);
    if (literal === undefined) return undefined;
    const decision = isAddressAllowed(literal, this.targetPolicy);
    return decision.allowed ? undefined : refusedBySsrfGuard(target, literal, decision.reason);
  }
}

function refusedBySsrfGuard(target: string, address: string, reason: string): SinkResult {
  return { kind: 'rejected', status: 403, message: `${target} refused by the SSRF guard (${address}: ${reason})` };
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

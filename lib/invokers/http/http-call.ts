import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { InvocationError } from '../../core/response/index.js';
import type { InvocationResult } from '../../ports/invoker.js';
import { parseRetryAfter } from './retry-after.js';
import { findSsrfRefusal, refusalDetail } from './ssrf-guard.js';

/** Hears a call the SSRF guard refused: the function's URL (without credentials), the address, and why. */
export type RefusedListener = (url: string, address: string, reason: string) => void;

/** What a guarded call needs to report a refusal made at connect time. */
export interface GuardedTarget {
  /** The function's URL without credentials or fragment. */
  readonly url: string;
  readonly port: number;
  readonly onRefused: RefusedListener | undefined;
}

// Go's net/http texts for the same situations, so logs read like the original's.
export const TIMEOUT_AWAITING_HEADERS = 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
export const TIMEOUT_READING_BODY =
  'context deadline exceeded (Client.Timeout or context cancellation while reading body)';
export const CANCELED = 'context canceled';

/**
 * One call in flight, as an undici dispatch handler. It settles the invoke promise exactly once: with the answer,
 * or with an `InvocationError` when the transport fails, the body is too large, the deadline passes or the caller's
 * signal fires. The last three settle at once, whatever phase the call is in (still connecting included), and
 * abort the request if undici has started it; any later callback from undici is ignored.
 *
 * Hot path: no stream, no promise per body, no closure besides the caller's resolve/reject.
 */
export class HttpCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private status = 0;
  private retryAfter: string | undefined;
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(
    private readonly resolve: (result: InvocationResult) => void,
    private readonly reject: (error: InvocationError) => void,
    private readonly maxResponseBytes: number,
    private readonly signal: AbortSignal | undefined,
    private readonly guard?: GuardedTarget,
  ) {}

  /** Arms the deadline and the caller's signal; false when the signal has already fired (the call is settled). */
  start(timeoutMs: number | undefined): boolean {
    if (this.signal !== undefined) {
      if (this.signal.aborted) {
        this.handleEvent();
        return false;
      }
      this.signal.addEventListener('abort', this);
    }
    if (timeoutMs !== undefined) this.timer = setTimeout(expire, timeoutMs, this);
    return true;
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.fail(new InvocationError('call-failed', CANCELED, { cause: this.signal?.reason }));
  }

  expire(): void {
    this.timer = undefined;
    this.fail(new InvocationError('timeout', this.status === 0 ? TIMEOUT_AWAITING_HEADERS : TIMEOUT_READING_BODY));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) controller.abort(new Error(CANCELED));
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.settled || statusCode < 200) return;
    this.status = statusCode;
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > this.maxResponseBytes) {
      this.fail(this.tooLarge());
      return;
    }
    const retryAfter = headers['retry-after'];
    this.retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.length += chunk.length;
    if (this.length > this.maxResponseBytes) {
      this.fail(this.tooLarge());
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.settle()) return;
    // A copy: a chunk is a view into the socket's read buffer.
    const body = Buffer.concat(this.chunks, this.length);
    this.resolve({ status: this.status, body, retryAfterMs: parseRetryAfter(this.retryAfter) });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (!this.settle()) return;
    const refusal = this.guard === undefined ? undefined : findSsrfRefusal(error);
    if (refusal === undefined || this.guard === undefined) {
      this.reject(new InvocationError('call-failed', transportErrorText(error), { cause: error }));
      return;
    }
    this.guard.onRefused?.(this.guard.url, refusal.address, refusal.reason);
    const detail = refusalDetail(refusal.address, this.guard.port, refusal.reason);
    this.reject(new InvocationError('call-failed', detail, { cause: error }));
  }

  private fail(error: InvocationError): void {
    if (!this.settle()) return;
    this.controller?.abort(error);
    this.reject(error);
  }

  /** Marks the call settled and disarms the deadline and the signal; false when it already was. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
    return true;
  }

  private tooLarge(): InvocationError {
    return new InvocationError('call-failed', `response body larger than ${this.maxResponseBytes} bytes`);
  }
}

function expire(call: HttpCall): void {
  call.expire();
}

/** The error's own text (`connect ECONNREFUSED 127.0.0.1:1`, `getaddrinfo ENOTFOUND …`), with its code if missing. */
export function transportErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's happy-eyeballs connect reports one AggregateError with an empty message for all the addresses tried.
  let text =
    error.message === '' && error instanceof AggregateError
      ? error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))).join('; ')
      : error.message;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && !text.includes(code)) text = text === '' ? code : `${text} (${code})`;
  return text;
}

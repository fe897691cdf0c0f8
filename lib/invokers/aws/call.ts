import { InvocationError } from '../../core/response/index.js';
import { CANCELED } from '../http/http-call.js';

/** Go's context error text, as the original's logs would read. */
export const DEADLINE_EXCEEDED = 'context deadline exceeded';

/**
 * Runs one SDK call bounded by `timeoutMs` and the caller's `signal`. Either settles the call at once (even while
 * the SDK waits between its own retries) with an `InvocationError` ('timeout', or 'call-failed' for a cancellation)
 * and aborts the request; what the SDK reports after that is ignored.
 */
export function boundedCall<R>(
  run: (abortSignal: AbortSignal | undefined) => Promise<R>,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<R> {
  if (timeoutMs === undefined && signal === undefined) return run(undefined);
  if (signal?.aborted) return Promise.reject(canceled(signal));

  const controller = new AbortController();
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const fail = (error: InvocationError): void => {
      if (!settle()) return;
      controller.abort(error);
      reject(error);
    };
    const onAbort = (): void => fail(canceled(signal));

    signal?.addEventListener('abort', onAbort);
    if (timeoutMs !== undefined) timer = setTimeout(() => fail(new InvocationError('timeout', DEADLINE_EXCEEDED)), timeoutMs);
    run(controller.signal).then(
      (result) => {
        if (settle()) resolve(result);
      },
      (error: unknown) => {
        if (settle()) reject(error);
      },
    );
  });
}

function canceled(signal: AbortSignal | undefined): InvocationError {
  return new InvocationError('call-failed', CANCELED, { cause: signal?.reason });
}

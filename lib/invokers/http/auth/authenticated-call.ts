import { InvocationError } from '../../../core/response/index.js';
import type { InvocationResult } from '../../../ports/invoker.js';
import { CANCELED } from '../http-call.js';
import type { Authenticator, OutgoingCall } from './authenticator.js';

/** Sends the call with these headers (the call's own plus the authenticator's). */
export type SendCall = (headers: Record<string, string>) => Promise<InvocationResult>;

/**
 * One authenticated call: the authenticator's headers on top of the call's own, then the call. A `401` from the
 * target drops the credential when it can be renewed (a cached token) and the call is made once more with a new one;
 * its answer, whatever it is, is the result. Waiting for a token ends early when `signal` fires.
 */
export async function callAuthenticated(
  authenticator: Authenticator,
  call: OutgoingCall,
  send: SendCall,
  signal?: AbortSignal,
): Promise<InvocationResult> {
  const first = await untilAborted(authenticator.headersFor(call), signal);
  const result = await send({ ...call.headers, ...first });
  if (result.status !== 401 || !authenticator.rejected(first)) return result;
  const renewed = await untilAborted(authenticator.headersFor(call), signal);
  return send({ ...call.headers, ...renewed });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(canceled(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(canceled(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function canceled(signal: AbortSignal): InvocationError {
  return new InvocationError('call-failed', CANCELED, { cause: signal.reason });
}

/** Small pieces the queue adapters use. */

/** A duration option: a finite number, negative read as 0. */
export function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value)) throw new TypeError(`${name} must be a finite number`);
  return Math.max(0, value);
}

/** The default `onError`: failures nobody awaits become a process warning, so they are seen but not fatal. */
export function reportError(error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`delivery queue: ${detail}`, 'DeliveryQueueWarning');
}

/** Hands an error nobody awaits to the adapter's `onError`; a reporter that throws is ignored. */
export function tell(onError: (error: unknown) => void, error: unknown): void {
  try {
    onError(error);
  } catch {
    // The reporter itself failed: nothing is left to tell.
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

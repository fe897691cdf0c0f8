/**
 * What a handler builds once per container: `get()` runs `start` at the first call and shares its result with
 * every later call. A failed start is not kept: the next invocation tries again.
 */
export class ColdStart<T> {
  #started: Promise<T> | undefined;

  constructor(private readonly start: () => Promise<T>) {}

  get(): Promise<T> {
    this.#started ??= this.start().catch((error: unknown) => {
      this.#started = undefined;
      throw error;
    });
    return this.#started;
  }

  /** What was started, if anything (for shutting down in tests). */
  get started(): Promise<T> | undefined {
    return this.#started;
  }
}

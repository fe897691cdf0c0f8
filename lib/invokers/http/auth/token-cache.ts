/** A token as its issuer handed it out. */
export interface IssuedToken {
  readonly value: string;
  /** How long it lasts from when it was asked for, in milliseconds; undefined when the issuer did not say. */
  readonly lifetimeMs: number | undefined;
}

/** The lifetime assumed for a token whose issuer gives none (a target's 401 still refreshes it earlier). */
export const DEFAULT_TOKEN_LIFETIME_MS = 300_000;
/** The share of a token's lifetime it is renewed before it ends… */
export const RENEW_MARGIN_SHARE = 0.1;
/** …but never more than this much before. */
export const MAX_RENEW_MARGIN_MS = 60_000;

/**
 * When a token asked for at `askedAt` is renewed: before it ends by a margin that scales with its lifetime (10%, at
 * most 60 s), so a one-hour token is renewed a minute early and a 5-second token is still used for 4.5 s.
 */
export function renewAt(askedAt: number, lifetimeMs: number | undefined): number {
  const lifetime = Math.max(0, lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS);
  return askedAt + lifetime - Math.min(lifetime * RENEW_MARGIN_SHARE, MAX_RENEW_MARGIN_MS);
}

/**
 * One function's token: fetched when first needed, reused until {@link renewAt}, with at most one fetch in flight
 * (every caller waiting meanwhile shares its result, success or failure). A failure is not cached: the next call
 * fetches again.
 */
export class CachedToken {
  private current: { value: string; renewAt: number } | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<IssuedToken>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current token, or the one being fetched. */
  get(): Promise<string> {
    const current = this.current;
    if (current !== undefined && this.now() < current.renewAt) return Promise.resolve(current.value);
    return (this.inflight ??= this.refresh());
  }

  /**
   * Drops `used` when it is still the current token (a target refused it), so the next {@link get} fetches a new
   * one. When `used` was already replaced (another call saw the 401 first), nothing is dropped and the next get
   * returns the newer token: many 401s for one token cause one fetch.
   */
  invalidate(used: string): void {
    if (this.current?.value === used) this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const askedAt = this.now();
    try {
      const token = await this.fetchToken();
      this.current = { value: token.value, renewAt: renewAt(askedAt, token.lifetimeMs) };
      return token.value;
    } finally {
      this.inflight = undefined;
    }
  }
}

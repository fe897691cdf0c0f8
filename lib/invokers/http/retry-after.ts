const DELTA_SECONDS = /^\d+$/;
// All three HTTP date forms (IMF-fixdate, RFC 850, asctime) start with a day name; Date.parse alone accepts "1.5".
const HTTP_DATE_START = /^[A-Za-z]{3}/;

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: delta-seconds or an HTTP date) in milliseconds from `nowMs`.
 * A date in the past gives 0; anything unparseable gives undefined. `nowMs` defaults to the current time.
 */
export function parseRetryAfter(value: string | undefined, nowMs?: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELTA_SECONDS.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!HTTP_DATE_START.test(text)) return undefined;
  // asctime carries no zone and Date.parse would read it as local time; HTTP dates are always GMT.
  const at = Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - (nowMs ?? Date.now()));
}

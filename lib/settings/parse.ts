/**
 * How a setting's text (a flag's argument or an environment variable) becomes its value. A parser throws a
 * {@link SettingValueError} whose message says what it expects; the CLI and the Lambdas' env readers each wrap it in
 * their own error.
 */
export class SettingValueError extends Error {
  /** @param expected e.g. `a whole number of at least 1` */
  constructor(readonly expected: string) {
    super(`expected ${expected}.`);
    this.name = 'SettingValueError';
  }
}

export type Parser<T> = (text: string, previous?: T) => T;

export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new SettingValueError(max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export const positiveInteger = wholeNumber(1);
export const nonNegativeInteger = wholeNumber(0);

export function port(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new SettingValueError('a port number from 0 to 65535');
  return n;
}

/** Seconds (a fraction allowed) as whole milliseconds. */
export function secondsAsMs(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new SettingValueError('a number of seconds of at least 0, e.g. 25 or 0.5');
  return Math.round(n * 1000);
}

/** A comma-separated list; a repeated flag adds to it. */
export function list(text: string, previous: string[] = []): string[] {
  return [...previous, ...text.split(',').filter(Boolean)];
}

/** `true` or `false` (a variable; the flag is a switch). */
export function boolean(text: string): boolean {
  if (text !== 'true' && text !== 'false') throw new SettingValueError('true or false');
  return text === 'true';
}

export function oneOf<const C extends string>(choices: readonly C[], expected = choices.join(', ')): Parser<C> {
  return (text) => {
    if (!(choices as readonly string[]).includes(text)) throw new SettingValueError(expected);
    return text as C;
  };
}

export const text: Parser<string> = (value) => value;

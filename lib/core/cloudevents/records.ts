/**
 * Records whose keys come from clients (header names, query keys, extension names). They are plain objects, which
 * V8 keeps in fast mode and serialises quickly (prototype-less objects are dictionaries from the start); the one
 * key a plain object cannot take by assignment, `__proto__`, is defined instead.
 */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

/** An own entry, never an inherited `Object.prototype` member. */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

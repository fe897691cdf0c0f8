/**
 * A slow, obviously correct matcher for the property tests: it reads the raw pattern JSON on every call, lists every
 * leaf value of a field before testing any, turns wildcards into regular expressions and asks Node's BlockList about
 * CIDR blocks. It shares no code with lib/core/filter.
 */
import { BlockList, isIP } from 'node:net';
import type { JsonObject, JsonValue } from '../../../lib/core/cloudevents/model.js';

type Pattern = { [key: string]: unknown };

export function referenceMatches(pattern: Pattern, event: JsonValue | undefined): boolean {
  return matchesWhere(pattern, event);
}

/** A pattern object where the event has `value`: one object, any object of an array, or (no object) an empty one. */
function matchesWhere(pattern: Pattern, value: JsonValue | undefined): boolean {
  const objects = objectsOf(value);
  if (objects.length === 0) return matchesObject(pattern, {});
  return objects.some((o) => matchesObject(pattern, o));
}

function objectsOf(value: JsonValue | undefined): JsonObject[] {
  if (value === undefined || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v) => objectsOf(v));
  return [value as JsonObject];
}

function matchesObject(pattern: Pattern, object: JsonObject): boolean {
  return Object.keys(pattern).every((key) => {
    const p = pattern[key];
    if (key === '$or') return (p as Pattern[]).some((branch) => matchesObject(branch, object));
    const value = Object.hasOwn(object, key) ? object[key] : undefined;
    if (Array.isArray(p)) return matchesLeaf(p, value);
    return matchesWhere(p as Pattern, value);
  });
}

function leavesOf(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => leavesOf(v));
  if (value !== null && typeof value === 'object') return [];
  return [value];
}

function matchesLeaf(allowed: unknown[], value: JsonValue | undefined): boolean {
  const leaves = leavesOf(value);
  return allowed.some((a) => {
    if (isOperator(a, 'exists')) return a.exists ? leaves.length > 0 : leaves.length === 0;
    return leaves.some((leaf) => matchesOne(a, leaf));
  });
}

function isOperator<K extends string>(a: unknown, name: K): a is Record<K, unknown> {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a)[0] === name;
}

function matchesOne(allowed: unknown, leaf: JsonValue): boolean {
  if (allowed === null || typeof allowed !== 'object') return allowed === leaf;
  const [name, arg] = Object.entries(allowed as Record<string, unknown>)[0]!;
  const text = typeof leaf === 'string' ? leaf : undefined;
  switch (name) {
    case 'prefix':
      if (text === undefined) return false;
      if (typeof arg === 'string') return text.slice(0, arg.length) === arg;
      return lower(text).slice(0, lower(ignoreCase(arg)).length) === lower(ignoreCase(arg));
    case 'suffix':
      if (text === undefined) return false;
      if (typeof arg === 'string') return arg.length === 0 || text.slice(-arg.length) === arg;
      return lower(ignoreCase(arg)).length === 0 || lower(text).slice(-lower(ignoreCase(arg)).length) === lower(ignoreCase(arg));
    case 'equals-ignore-case':
      return text !== undefined && lower(text) === lower(arg as string);
    case 'wildcard':
      return text !== undefined && wildcardRegExp(arg as string).test(text);
    case 'numeric':
      return typeof leaf === 'number' && numericHolds(arg as unknown[], leaf);
    case 'cidr':
      return text !== undefined && inCidr(arg as string, text);
    case 'anything-but':
      return !excludedBy(arg, leaf);
    default:
      throw new Error(`reference matcher: unknown operator ${name}`);
  }
}

function excludedBy(arg: unknown, leaf: JsonValue): boolean {
  if (Array.isArray(arg)) return arg.some((a) => a === leaf);
  if (arg !== null && typeof arg === 'object') {
    const [name, inner] = Object.entries(arg as Record<string, unknown>)[0]!;
    const list = Array.isArray(inner) ? inner : [inner];
    return list.some((one) => matchesOne({ [name]: one }, leaf));
  }
  return arg === leaf;
}

function ignoreCase(arg: unknown): string {
  return (arg as { 'equals-ignore-case': string })['equals-ignore-case'];
}

function lower(s: unknown): string {
  return (s as string).toLowerCase();
}

function wildcardRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') source += escapeRegExp(pattern[++i]!);
    else if (c === '*') source += '[\\s\\S]*';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c;
}

function numericHolds(conditions: unknown[], n: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const ok = { '=': n === bound, '<': n < bound, '<=': n <= bound, '>': n > bound, '>=': n >= bound }[conditions[i] as '='];
    if (!ok) return false;
  }
  return true;
}

function inCidr(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split('/') as [string, string];
  const family = isIP(network);
  if (isIP(address) !== family) return false;
  if (family === 4 && address.split('.').some((part) => part.length > 1 && part.startsWith('0'))) return false;
  const list = new BlockList();
  list.addSubnet(network, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

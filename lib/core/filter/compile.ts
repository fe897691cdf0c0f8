/**
 * The pattern compiler: an EventBridge event pattern (JSON) is checked once and turned into a tree of nodes whose
 * leaves are plain predicates over one JSON primitive. Nothing is parsed or compiled per event: exact values sit in
 * sets, prefix/suffix/wildcard are string operations, numeric ranges are two comparisons.
 */
import type { JsonObject, JsonPrimitive, JsonValue } from '../cloudevents/model.js';
import { parseCidr, cidrContains } from './cidr.js';
import { FILTER_LIMITS, filterError, tooDeepError, tooLargeError, tooManyValuesError, type FilterError } from './errors.js';
import { matchWildcard, parseWildcard } from './wildcard.js';

/** A test of one leaf value of the event. */
export type LeafTest = (value: JsonPrimitive) => boolean;

/** A field whose pattern is an array of allowed values. */
export interface LeafNode {
  readonly kind: 'leaf';
  readonly key: string;
  /** Dotted path from the root of the event (`data.amount`). */
  readonly path: string;
  /** The pattern's array for this field, as written (what an explanation shows as expected). */
  readonly expected: readonly JsonValue[];
  /** Any one leaf value of the field passes. */
  readonly test: LeafTest;
  /** The field matches when it has no leaf value at all: `{"exists": false}` is among its values. */
  readonly absentMatches: boolean;
}

/** A field whose pattern is an object: the event's value there must match it in turn. */
export interface NestedNode {
  readonly kind: 'object';
  readonly key: string;
  readonly path: string;
  readonly node: ObjectNode;
}

export type FieldNode = LeafNode | NestedNode;

/** One object of the pattern: every field must match, and in each `$or` group at least one branch. */
export interface ObjectNode {
  readonly fields: readonly FieldNode[];
  readonly ors: readonly (readonly ObjectNode[])[];
  /** The node matches an absent object (only `{"exists": false}` leaves are required, or nothing). */
  readonly matchesAbsent: boolean;
}

export const OR_KEY = '$or';

export type CompileResult = { readonly ok: true; readonly root: ObjectNode } | { readonly ok: false; readonly error: FilterError };

class Refusal {
  constructor(readonly error: FilterError) {}
}

/** Checks a parsed pattern against the language and its limits, and compiles it. */
export function compilePattern(pattern: unknown): CompileResult {
  if (!isPlainObject(pattern)) return { ok: false, error: filterError('', 'the pattern must be a JSON object') };
  let text: string;
  try {
    text = JSON.stringify(pattern);
  } catch {
    return { ok: false, error: filterError('', 'the pattern must be JSON') };
  }
  const bytes = utf8Length(text);
  if (bytes > FILTER_LIMITS.maxBytes) return { ok: false, error: tooLargeError(bytes) };
  try {
    return { ok: true, root: compileObject(pattern, '', '', 0) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, error: error.error };
    throw error;
  }
}

function refuse(path: string, problem: string): never {
  throw new Refusal(filterError(path, problem));
}

function compileObject(pattern: Record<string, unknown>, eventPath: string, patternPath: string, depth: number): ObjectNode {
  const keys = Object.keys(pattern);
  if (keys.length === 0) refuse(patternPath, 'an object in a pattern must name at least one field');
  const fields: FieldNode[] = [];
  const ors: ObjectNode[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    const fieldPatternPath = join(patternPath, key);
    if (key === OR_KEY) {
      ors.push(compileOr(value, eventPath, fieldPatternPath, depth));
      continue;
    }
    const path = join(eventPath, key);
    if (depth + 1 > FILTER_LIMITS.maxDepth) throw new Refusal(tooDeepError(fieldPatternPath));
    if (Array.isArray(value)) {
      fields.push(compileLeaf(key, path, value, fieldPatternPath));
    } else if (isPlainObject(value)) {
      fields.push({ kind: 'object', key, path, node: compileObject(value, path, fieldPatternPath, depth + 1) });
    } else {
      refuse(fieldPatternPath, 'a field must be an array of values or an object');
    }
  }
  const matchesAbsent =
    fields.every((f) => (f.kind === 'leaf' ? f.absentMatches : f.node.matchesAbsent)) &&
    ors.every((group) => group.some((branch) => branch.matchesAbsent));
  return { fields, ors, matchesAbsent };
}

function compileOr(value: unknown, eventPath: string, patternPath: string, depth: number): ObjectNode[] {
  if (!Array.isArray(value) || value.length < 2) refuse(patternPath, '"$or" must be an array of at least 2 patterns');
  checkCount(value, patternPath);
  return value.map((branch, i) => {
    const branchPath = `${patternPath}[${i}]`;
    if (!isPlainObject(branch)) refuse(branchPath, 'each "$or" branch must be an object');
    return compileObject(branch, eventPath, branchPath, depth);
  });
}

function checkCount(values: readonly unknown[], path: string): void {
  if (values.length > FILTER_LIMITS.maxArrayValues) throw new Refusal(tooManyValuesError(path, values.length));
}

// ---------------------------------------------------------------------------------------------------------------
// Leaves.

function compileLeaf(key: string, path: string, values: unknown[], patternPath: string): LeafNode {
  if (values.length === 0) refuse(patternPath, 'an array of values must not be empty');
  checkCount(values, patternPath);
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const literals = new Set<boolean | null>();
  const others: LeafTest[] = [];
  let anyValue = false;
  let absentMatches = false;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const valuePath = `${patternPath}[${i}]`;
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'number') numbers.add(finiteNumber(value, valuePath));
    else if (typeof value === 'boolean' || value === null) literals.add(value);
    else if (isPlainObject(value)) {
      const operator = compileOperator(value, valuePath);
      if (operator === EXISTS_TRUE) anyValue = true;
      else if (operator === EXISTS_FALSE) absentMatches = true;
      else others.push(operator);
    } else refuse(valuePath, 'a value must be a string, number, boolean, null or an operator object');
  }
  const test: LeafTest = anyValue ? () => true : combine(strings, numbers, literals, others);
  return { kind: 'leaf', key, path, expected: values as JsonValue[], test, absentMatches };
}

/** One predicate for the exact values and the operators of a field; the common one-string case is one comparison. */
function combine(strings: Set<string>, numbers: Set<number>, literals: Set<boolean | null>, others: LeafTest[]): LeafTest {
  if (numbers.size === 0 && literals.size === 0 && others.length === 0) {
    if (strings.size === 1) {
      const only = strings.values().next().value as string;
      return (v) => v === only;
    }
    return (v) => typeof v === 'string' && strings.has(v);
  }
  if (strings.size === 0 && numbers.size === 0 && literals.size === 0 && others.length === 1) return others[0]!;
  return (v) => {
    if (typeof v === 'string') {
      if (strings.has(v)) return true;
    } else if (typeof v === 'number') {
      if (numbers.has(v)) return true;
    } else if (literals.has(v)) return true;
    for (let i = 0; i < others.length; i++) if (others[i]!(v)) return true;
    return false;
  };
}

const EXISTS_TRUE: LeafTest = () => true;
const EXISTS_FALSE: LeafTest = () => false;

function compileOperator(value: Record<string, unknown>, path: string): LeafTest {
  const keys = Object.keys(value);
  if (keys.length !== 1) refuse(path, 'an operator object must have exactly one key');
  const name = keys[0]!;
  const argument = value[name];
  const argPath = `${path}.${name}`;
  switch (name) {
    case 'prefix':
      return affix(argument, argPath, 'prefix', false);
    case 'suffix':
      return affix(argument, argPath, 'suffix', false);
    case 'equals-ignore-case': {
      const lower = requireString(argument, argPath, '"equals-ignore-case" takes a string').toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'wildcard':
      return wildcard(requireString(argument, argPath, '"wildcard" takes a string'), argPath);
    case 'anything-but':
      return anythingBut(argument, argPath);
    case 'numeric':
      return numeric(argument, argPath);
    case 'exists':
      if (typeof argument !== 'boolean') refuse(argPath, '"exists" takes true or false');
      return argument ? EXISTS_TRUE : EXISTS_FALSE;
    case 'cidr': {
      const text = requireString(argument, argPath, '"cidr" takes a string such as "10.0.0.0/24"');
      const range = parseCidr(text);
      if (!range) refuse(argPath, `"${text}" is not an IPv4 or IPv6 CIDR block such as "10.0.0.0/24"`);
      return (v) => typeof v === 'string' && cidrContains(range, v);
    }
    default:
      return refuse(path, `unknown operator "${name}" (known: prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr)`);
  }
}

/** `{"prefix": "x"}` or `{"prefix": {"equals-ignore-case": "x"}}`, and the same for suffix. */
function affix(argument: unknown, path: string, kind: 'prefix' | 'suffix', negatedList: boolean): LeafTest {
  if (isPlainObject(argument)) {
    const keys = Object.keys(argument);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      refuse(path, `"${kind}" takes a string or {"equals-ignore-case": string}`);
    }
    const lower = requireString(argument['equals-ignore-case'], `${path}.equals-ignore-case`, '"equals-ignore-case" takes a string').toLowerCase();
    return kind === 'prefix'
      ? (v) => typeof v === 'string' && v.toLowerCase().startsWith(lower)
      : (v) => typeof v === 'string' && v.toLowerCase().endsWith(lower);
  }
  const text = requireString(argument, path, `"${kind}" takes a string or {"equals-ignore-case": string}`);
  if (negatedList && text === '') refuse(path, `an anything-but "${kind}" must not be empty`);
  return kind === 'prefix' ? (v) => typeof v === 'string' && v.startsWith(text) : (v) => typeof v === 'string' && v.endsWith(text);
}

function wildcard(text: string, path: string): LeafTest {
  const parsed = parseWildcard(text);
  if ('error' in parsed) refuse(path, `"${text}": ${parsed.error}`);
  const { segments } = parsed;
  return (v) => typeof v === 'string' && matchWildcard(segments, v);
}

/**
 * `anything-but`: a value or a list of values (all strings or all numbers), or one of prefix, suffix,
 * equals-ignore-case, wildcard with a string or a list of strings. It matches any leaf value the inner test refuses
 * (so a number passes an anything-but of strings); an absent field never passes.
 */
function anythingBut(argument: unknown, path: string): LeafTest {
  if (typeof argument === 'string') return (v) => v !== argument;
  if (typeof argument === 'number') {
    const n = finiteNumber(argument, path);
    return (v) => v !== n;
  }
  if (Array.isArray(argument)) {
    if (argument.length === 0) refuse(path, '"anything-but" needs at least one value');
    checkCount(argument, path);
    const allStrings = argument.every((x) => typeof x === 'string');
    const allNumbers = argument.every((x) => typeof x === 'number');
    if (!allStrings && !allNumbers) refuse(path, 'an "anything-but" list must hold only strings or only numbers');
    if (allNumbers) argument.forEach((x, i) => finiteNumber(x as number, `${path}[${i}]`));
    const excluded = new Set<JsonPrimitive>(argument as JsonPrimitive[]);
    return (v) => !excluded.has(v);
  }
  if (isPlainObject(argument)) {
    const keys = Object.keys(argument);
    const name = keys[0];
    if (keys.length !== 1 || (name !== 'prefix' && name !== 'suffix' && name !== 'equals-ignore-case' && name !== 'wildcard')) {
      refuse(path, '"anything-but" takes a value, a list, or one of prefix, suffix, equals-ignore-case, wildcard');
    }
    const inner = argument[name];
    const innerPath = `${path}.${name}`;
    const texts = Array.isArray(inner) ? inner : [inner];
    if (texts.length === 0) refuse(innerPath, `"${name}" needs at least one string`);
    checkCount(texts, innerPath);
    const tests = texts.map((text, i) => {
      const at = Array.isArray(inner) ? `${innerPath}[${i}]` : innerPath;
      const s = requireString(text, at, `"${name}" inside "anything-but" takes a string or a list of strings`);
      if (name === 'equals-ignore-case') {
        const lower = s.toLowerCase();
        return (v: JsonPrimitive) => typeof v === 'string' && v.toLowerCase() === lower;
      }
      if (name === 'wildcard') return wildcard(s, at);
      return affix(s, at, name, true);
    });
    return (v) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(v)) return false;
      return true;
    };
  }
  return refuse(path, '"anything-but" takes a string, a number, a list, or an object');
}

/** `["=", 5]`, or one lower bound (`>`/`>=`) and/or one upper bound (`<`/`<=`), in either order. */
function numeric(argument: unknown, path: string): LeafTest {
  if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4)) {
    refuse(path, '"numeric" takes [operator, number] or [operator, number, operator, number]');
  }
  let lower: { value: number; inclusive: boolean } | undefined;
  let upper: { value: number; inclusive: boolean } | undefined;
  let equals: number | undefined;
  for (let i = 0; i < argument.length; i += 2) {
    const op = argument[i];
    const n = argument[i + 1];
    if (typeof n !== 'number') refuse(`${path}[${i + 1}]`, '"numeric" compares with numbers only');
    const value = finiteNumber(n, `${path}[${i + 1}]`);
    switch (op) {
      case '=':
        if (argument.length !== 2) refuse(`${path}[${i}]`, '"=" must be the only comparison');
        equals = value;
        break;
      case '>':
      case '>=':
        if (lower) refuse(`${path}[${i}]`, 'only one lower bound (">" or ">=") is allowed');
        lower = { value, inclusive: op === '>=' };
        break;
      case '<':
      case '<=':
        if (upper) refuse(`${path}[${i}]`, 'only one upper bound ("<" or "<=") is allowed');
        upper = { value, inclusive: op === '<=' };
        break;
      default:
        refuse(`${path}[${i}]`, `unknown comparison ${JSON.stringify(op)} (known: =, <, <=, >, >=)`);
    }
  }
  if (equals !== undefined) {
    const target = equals;
    return (v) => v === target;
  }
  if (lower && upper && lower.value >= upper.value) refuse(path, 'the lower bound must be below the upper bound');
  const lo = lower?.value ?? -Infinity;
  const loInclusive = lower?.inclusive ?? true;
  const hi = upper?.value ?? Infinity;
  const hiInclusive = upper?.inclusive ?? true;
  return (v) => typeof v === 'number' && (loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

function requireString(value: unknown, path: string, problem: string): string {
  if (typeof value !== 'string') refuse(path, problem);
  return value;
}

function finiteNumber(value: number, path: string): number {
  if (!Number.isFinite(value)) refuse(path, 'numbers must be finite');
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export type { JsonObject };

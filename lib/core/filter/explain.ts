/**
 * Why a pattern does not match an event: every failing field, with what the pattern expected and what the event
 * has. It walks the same compiled nodes as the matcher and uses the matcher's own leaf test, so the two cannot
 * disagree on the verdict; it is slower (it keeps going after the first failure) and is meant for the explain
 * endpoint, not for routing.
 */
import type { JsonObject, JsonValue } from '../cloudevents/model.js';
import type { ObjectNode } from './compile.js';
import { matchLeaf, matchObject, member } from './match.js';

export interface Mismatch {
  /** Dotted path of the field in the event (`data.amount`). */
  readonly path: string;
  /** The pattern's array of allowed values for the field, as written. */
  readonly expected: readonly JsonValue[];
  /** The event's value at the path; absent when the event has no such field. */
  readonly actual?: JsonValue;
}

export type Explanation = { readonly match: true } | { readonly match: false; readonly mismatches: readonly Mismatch[] };

const EMPTY: JsonObject = Object.freeze({});

export function explainNode(root: ObjectNode, event: JsonValue): Explanation {
  const mismatches = explainValue(root, event);
  return mismatches.length === 0 ? { match: true } : { match: false, mismatches };
}

function explainValue(node: ObjectNode, value: JsonValue | undefined): Mismatch[] {
  if (value === undefined || value === null || typeof value !== 'object') {
    return node.matchesAbsent ? [] : explainObject(node, EMPTY);
  }
  if (!Array.isArray(value)) return explainObject(node, value as JsonObject);
  // An array of objects: the element that comes closest, as a pattern object must match one element on its own.
  const elements = objectsIn(value);
  if (elements.length === 0) return node.matchesAbsent ? [] : explainObject(node, EMPTY);
  let best: Mismatch[] | undefined;
  for (const element of elements) {
    if (matchObject(node, element)) return [];
    const mismatches = explainObject(node, element);
    if (!best || mismatches.length < best.length) best = mismatches;
  }
  return best!;
}

function explainObject(node: ObjectNode, object: JsonObject): Mismatch[] {
  const out: Mismatch[] = [];
  for (const field of node.fields) {
    const value = member(object, field.key);
    if (field.kind === 'leaf') {
      if (!matchLeaf(field, value)) out.push(value === undefined ? { path: field.path, expected: field.expected } : { path: field.path, expected: field.expected, actual: value });
    } else {
      out.push(...explainValue(field.node, value));
    }
  }
  // For each `$or` that no branch satisfies, the branch with the fewest mismatches (the first of equals).
  for (const branches of node.ors) {
    if (branches.some((b) => matchObject(b, object))) continue;
    let closest: Mismatch[] | undefined;
    for (const branch of branches) {
      const mismatches = explainObject(branch, object);
      if (!closest || mismatches.length < closest.length) closest = mismatches;
    }
    out.push(...closest!);
  }
  return out;
}

function objectsIn(values: readonly JsonValue[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const v of values) {
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) out.push(...objectsIn(v));
    else out.push(v as JsonObject);
  }
  return out;
}

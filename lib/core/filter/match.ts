/**
 * Matching a compiled pattern against an event (hot path: it runs for every filtered subscription of every routed
 * event; it allocates nothing and never looks up a prototype).
 *
 * - A field's leaf values: the field's own value if it is a primitive; the primitives of an array, nested arrays
 *   flattened; none for an object or an absent field. A leaf pattern matches if any leaf value passes any of its
 *   values; `{"exists": false}` matches a field with no leaf value.
 * - A nested pattern applied to an array of objects must match one element on its own (array-consistent matching).
 *   A nested pattern where the event has no object is matched against an absent object, so a missing parent behaves
 *   like a missing leaf.
 */
import type { JsonObject, JsonPrimitive, JsonValue } from '../cloudevents/model.js';
import type { LeafNode, LeafTest, ObjectNode } from './compile.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** The value of an own member, or undefined (an inherited name such as `constructor` is absent). */
export function member(object: JsonObject, key: string): JsonValue | undefined {
  return hasOwn.call(object, key) ? object[key] : undefined;
}

/** The event's root (or any value where a pattern object applies) against a node. */
export function matchValue(node: ObjectNode, value: JsonValue | undefined): boolean {
  if (value === undefined || value === null || typeof value !== 'object') return node.matchesAbsent;
  if (!isArray(value)) return matchObject(node, value as JsonObject);
  const found = matchInArray(node, value);
  return found === FOUND || (found === NO_OBJECT && node.matchesAbsent);
}

export function matchObject(node: ObjectNode, object: JsonObject): boolean {
  const fields = node.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const value = member(object, field.key);
    if (field.kind === 'leaf' ? !matchLeaf(field, value) : !matchValue(field.node, value)) return false;
  }
  const ors = node.ors;
  for (let g = 0; g < ors.length; g++) {
    const branches = ors[g]!;
    let any = false;
    for (let b = 0; b < branches.length && !any; b++) any = matchObject(branches[b]!, object);
    if (!any) return false;
  }
  return true;
}

export function matchLeaf(leaf: LeafNode, value: JsonValue | undefined): boolean {
  if (value === undefined) return leaf.absentMatches;
  if (value === null || typeof value !== 'object') return leaf.test(value);
  if (!isArray(value)) return leaf.absentMatches; // an object is not a leaf
  const found = anyLeaf(value, leaf.test);
  return found === FOUND || (found === NO_OBJECT && leaf.absentMatches);
}

// Outcomes of a walk through an array. For leaves, NO_OBJECT means "no leaf value at all".
const NO_OBJECT = 0;
const NONE_MATCHED = 1;
const FOUND = 2;
type Walk = typeof NO_OBJECT | typeof NONE_MATCHED | typeof FOUND;

function anyLeaf(values: readonly JsonValue[], test: LeafTest): Walk {
  let seen: Walk = NO_OBJECT;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null || typeof v !== 'object') {
      if (test(v as JsonPrimitive)) return FOUND;
      seen = NONE_MATCHED;
    } else if (isArray(v)) {
      const inner = anyLeaf(v, test);
      if (inner === FOUND) return FOUND;
      if (inner === NONE_MATCHED) seen = NONE_MATCHED;
    }
  }
  return seen;
}

function matchInArray(node: ObjectNode, values: readonly JsonValue[]): Walk {
  let seen: Walk = NO_OBJECT;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null || typeof v !== 'object') continue;
    if (isArray(v)) {
      const inner = matchInArray(node, v);
      if (inner === FOUND) return FOUND;
      if (inner === NONE_MATCHED) seen = NONE_MATCHED;
    } else {
      if (matchObject(node, v as JsonObject)) return FOUND;
      seen = NONE_MATCHED;
    }
  }
  return seen;
}

function isArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}

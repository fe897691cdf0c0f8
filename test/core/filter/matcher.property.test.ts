import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { JsonValue } from '../../../lib/core/cloudevents/model.js';
import { CompiledFilter } from '../../../lib/core/filter/index.js';
import { referenceMatches } from './reference-matcher.js';

// A small vocabulary, so that random patterns and random events actually meet.
const KEYS = ['a', 'b', 'c', '$or'] as const;
const FIELD = fc.constantFrom('a', 'b', 'c');
const TEXT = fc.constantFrom('', 'x', 'X', 'xy', 'yx', 'xyx', 'xyxy', 'x*y', 'a\\b', '10.0.0.7', '10.0.1.7', '2001:db8::1', 'é', 'É');
const NUMBER = fc.constantFrom(-1, 0, 0.5, 1, 2, 100);
const PRIMITIVE: fc.Arbitrary<JsonValue> = fc.oneof(TEXT, NUMBER, fc.boolean(), fc.constant(null));

const event: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue; object: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    PRIMITIVE,
    tie('object'),
    fc.array(fc.oneof(PRIMITIVE, tie('object')), { maxLength: 3 }),
  ),
  object: fc.dictionary(fc.constantFrom(...KEYS.slice(0, 3)), tie('value'), { maxKeys: 3 }),
})).object;

const wildcard = fc.constantFrom('*', 'xy*yx', '*yx*xy', 'x*', '*y', 'x*y', '*x*', 'x\\*y', 'a\\\\b', 'xy');
const stringOrList = (arb: fc.Arbitrary<string>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));
const operator: fc.Arbitrary<JsonValue> = fc.oneof(
  TEXT.map((t) => ({ prefix: t })),
  TEXT.map((t) => ({ suffix: t })),
  TEXT.map((t) => ({ prefix: { 'equals-ignore-case': t } })),
  TEXT.map((t) => ({ suffix: { 'equals-ignore-case': t } })),
  TEXT.map((t) => ({ 'equals-ignore-case': t })),
  wildcard.map((w) => ({ wildcard: w })),
  fc.boolean().map((b) => ({ exists: b })),
  fc.constantFrom('10.0.0.0/24', '10.0.0.0/8', '2001:db8::/32', '0.0.0.0/0').map((c) => ({ cidr: c })),
  fc.oneof(
    NUMBER.map((n) => ['=', n]),
    fc.tuple(fc.constantFrom('>', '>='), NUMBER).map(([op, n]) => [op, n]),
    fc.tuple(fc.constantFrom('<', '<='), NUMBER).map(([op, n]) => [op, n]),
    fc.tuple(fc.constantFrom('>', '>='), fc.constantFrom('<', '<='), NUMBER, fc.constantFrom(0.5, 1, 50)).map(([lo, hi, n, width]) => [lo, n, hi, n + width]),
  ).map((numeric) => ({ numeric })),
  fc.oneof(
    TEXT,
    NUMBER,
    fc.array(TEXT, { minLength: 1, maxLength: 3 }),
    fc.array(NUMBER, { minLength: 1, maxLength: 3 }),
    stringOrList(TEXT.filter((t) => t !== '')).map((p) => ({ prefix: p })),
    stringOrList(TEXT.filter((t) => t !== '')).map((s) => ({ suffix: s })),
    stringOrList(TEXT).map((s) => ({ 'equals-ignore-case': s })),
    stringOrList(wildcard).map((w) => ({ wildcard: w })),
  ).map((x) => ({ 'anything-but': x })),
);
const leaf = fc.array(fc.oneof(PRIMITIVE, operator), { minLength: 1, maxLength: 3 });

type PatternObject = { [key: string]: JsonValue };
/** Patterns nested at most `depth` objects below this one, with a `$or` of 2 or 3 branches now and then. */
function patternAt(depth: number): fc.Arbitrary<PatternObject> {
  if (depth === 0) return fc.dictionary(FIELD, leaf, { minKeys: 1, maxKeys: 2 });
  const inner = patternAt(depth - 1);
  return fc
    .tuple(
      fc.dictionary(FIELD, fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 1, arbitrary: inner }), { minKeys: 1, maxKeys: 2 }),
      fc.option(fc.array(inner, { minLength: 2, maxLength: 3 }), { freq: 4 }),
    )
    .map(([fields, or]) => (or ? { ...fields, $or: or } : fields));
}
const pattern = patternAt(2);

/** Values a leaf of the pattern is likely to accept or narrowly refuse: its own values and operator arguments, bent. */
function nearValues(values: readonly JsonValue[]): JsonValue[] {
  const out: JsonValue[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string') out.push(v, `${v}z`, `z${v}`, v.toUpperCase(), v.replace(/\\?\*/g, 'q'));
    else if (typeof v === 'number') out.push(v, v + 0.5, v - 0.5);
    else if (Array.isArray(v)) v.forEach(add);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(add);
    else out.push(v as JsonValue);
  };
  values.forEach(add);
  return out;
}

/** Events shaped like the pattern: its fields, sometimes missing, as arrays, or of the wrong kind. */
function eventFor(p: PatternObject): fc.Arbitrary<JsonValue> {
  const entries = Object.entries(p).filter(([key]) => key !== '$or');
  const fields = entries.map(([key, sub]) => {
    const value: fc.Arbitrary<JsonValue> = Array.isArray(sub)
      ? (() => {
          const near = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...nearValues(sub)) }, { weight: 1, arbitrary: PRIMITIVE });
          return fc.oneof({ weight: 5, arbitrary: near }, { weight: 2, arbitrary: fc.array(near, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant({ k: 'x' }) });
        })()
      : (() => {
          const nested = eventFor(sub as PatternObject);
          return fc.oneof({ weight: 5, arbitrary: nested }, { weight: 2, arbitrary: fc.array(nested, { maxLength: 3 }) }, { weight: 1, arbitrary: PRIMITIVE });
        })();
    return fc.option(value.map((v) => [key, v] as const), { freq: 8 });
  });
  const ors = (p.$or as PatternObject[] | undefined) ?? [];
  return fc
    .tuple(fc.tuple(...fields), fc.tuple(...ors.map((branch) => fc.option(eventFor(branch), { freq: 3 }))))
    .map(([pairs, branches]) => {
      const object: Record<string, JsonValue> = {};
      for (const branch of branches) if (branch && typeof branch === 'object' && !Array.isArray(branch)) Object.assign(object, branch);
      for (const pair of pairs) if (pair) object[pair[0]] = pair[1];
      return object;
    });
}

/** A pattern with events near it and events at random. */
const patternAndEvents = pattern.chain((p) =>
  fc.tuple(fc.constant(p), fc.array(fc.oneof({ weight: 4, arbitrary: eventFor(p) }, { weight: 1, arbitrary: event }), { minLength: 1, maxLength: 8 })),
);

describe('Property: the compiled matcher agrees with the reference matcher', () => {
  it('on random patterns and random events', () => {
    fc.assert(
      fc.property(patternAndEvents, ([p, events]) => {
        const compiled = CompiledFilter.compile(p);
        assert.ok(compiled.ok, compiled.ok ? '' : compiled.error.message);
        for (const e of events) assert.equal(compiled.filter.matches(e), referenceMatches(p, e), JSON.stringify({ p, e }));
      }),
      { numRuns: 3000 },
    );
  });

  it('explain reaches the same verdict, and names a field whenever it says no', () => {
    fc.assert(
      fc.property(patternAndEvents, ([p, events]) => {
        const compiled = CompiledFilter.compile(p);
        assert.ok(compiled.ok);
        for (const e of events) {
          const explanation = compiled.filter.explain(e);
          assert.equal(explanation.match, compiled.filter.matches(e));
          if (!explanation.match) assert.ok(explanation.mismatches.length > 0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws and never accepts a non-object, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const compiled = CompiledFilter.compile(value);
        if (compiled.ok) {
          assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
        } else {
          assert.ok(compiled.error.message.startsWith('invalid filter'));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decode, defineStruct, GoJsonError, parseFirstValue } from '../../../../lib/core/go/index.js';

const SCHEMA = defineStruct({
  name: 'Sample',
  goType: 'sample.Sample',
  fields: [
    { json: 'name', go: 'Name', kind: 'string', goType: 'string' },
    { json: 'flag', go: 'Flag', kind: 'bool', goType: 'bool' },
    { json: 'count', go: 'Count', kind: 'int', goType: 'int' },
    { json: 'list', go: 'List', kind: 'stringArray', goType: '[]string' },
    { json: 'labels', go: 'Labels', kind: 'stringMap', goType: 'map[string]string' },
  ],
});

const RUNS = 2000;

function neverThrowsOtherErrors(input: string | Uint8Array): void {
  try {
    decode(input, SCHEMA);
  } catch (error) {
    assert.ok(error instanceof GoJsonError, `unexpected ${String(error)}`);
  }
}

/** An independent model of the kept values: JSON.parse, then Go's rules per field kind. */
function expected(parsed: Record<string, unknown>): { value: Record<string, unknown>; typeError: boolean } {
  const value: Record<string, unknown> = {};
  let typeError = false;
  const fold = (k: string) => k.replace(/[a-z\u017f\u212a]/g, (c) => (c === '\u017f' ? 'S' : c === '\u212a' ? 'K' : c.toUpperCase()));
  for (const [key, v] of Object.entries(parsed)) {
    const field = SCHEMA.fields.find((f) => f.json === key) ?? SCHEMA.fields.find((f) => fold(f.json) === fold(key));
    if (!field) continue;
    const clears = field.kind === 'stringArray' || field.kind === 'stringMap';
    if (v === null) {
      if (clears) delete value[field.json];
      continue;
    }
    const strings = (items: unknown[]) =>
      items.map((item) => {
        if (item !== null && typeof item !== 'string') typeError = true;
        return typeof item === 'string' ? item : '';
      });
    switch (field.kind) {
      case 'string':
        if (typeof v === 'string') value[field.json] = v;
        else typeError = true;
        break;
      case 'bool':
        if (typeof v === 'boolean') value[field.json] = v;
        else typeError = true;
        break;
      case 'int': {
        const text = typeof v === 'number' ? JSON.stringify(v) : '';
        if (/^-?\d+$/.test(text) && BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n) value[field.json] = Number(BigInt(text));
        else typeError = true;
        break;
      }
      case 'stringArray':
        if (Array.isArray(v)) value[field.json] = strings(v);
        else typeError = true;
        break;
      case 'stringMap':
        if (typeof v === 'object' && !Array.isArray(v)) {
          const current = (value[field.json] ?? {}) as Record<string, string>;
          const entries = Object.entries(v as Record<string, unknown>);
          const next = strings(entries.map(([, item]) => item));
          value[field.json] = Object.fromEntries([...Object.entries(current), ...entries.map(([k], i) => [k, next[i]])]);
        } else {
          typeError = true;
        }
        break;
      default:
        break;
    }
  }
  return { value, typeError };
}

const anyValue = fc.jsonValue({ maxDepth: 3 });
const stringOrNull = fc.oneof(fc.string(), fc.constant(null));
/** Mostly well-typed values under key spellings of the schema's fields, plus unrelated keys and stray types. */
const entry = fc.oneof(
  fc.tuple(fc.constantFrom('name', 'NAME', 'Name', 'ſ'), fc.oneof(fc.string(), fc.constant(null))),
  fc.tuple(fc.constantFrom('flag', 'FLAG'), fc.oneof(fc.boolean(), fc.constant(null))),
  fc.tuple(fc.constantFrom('count', 'Count'), fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constant(null))),
  fc.tuple(fc.constantFrom('list', 'LIST'), fc.oneof(fc.array(stringOrNull, { maxLength: 4 }), fc.constant(null))),
  fc.tuple(fc.constantFrom('labels', 'Labels', 'labelſ', 'LABELS'), fc.oneof(fc.dictionary(fc.string(), stringOrNull, { maxKeys: 4 }), fc.constant(null))),
  fc.tuple(fc.string(), anyValue),
  { arbitrary: fc.tuple(fc.constantFrom('name', 'flag', 'count', 'list', 'labels'), anyValue), weight: 1 },
);
const objects = fc.array(entry, { maxLength: 8 }).map((entries) => Object.fromEntries(entries));

describe('gojson decode: properties', () => {
  it('throws nothing but GoJsonError for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), neverThrowsOtherErrors), { numRuns: RUNS });
  });

  it('throws nothing but GoJsonError for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), neverThrowsOtherErrors), { numRuns: RUNS });
  });

  it('throws nothing but GoJsonError for JSON-like text with random damage', () => {
    const damaged = fc.tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.string({ unit: 'binary', maxLength: 3 })).map(
      ([json, at, junk]) => json.slice(0, at % (json.length + 1)) + junk + json.slice(at % (json.length + 1)),
    );
    fc.assert(fc.property(damaged, neverThrowsOtherErrors), { numRuns: RUNS });
  });

  it('parses every JSON text to the value JSON.parse gives', () => {
    const plain = (text: string): unknown => {
      const toPlain = (node: ReturnType<typeof parseFirstValue>): unknown => {
        switch (node.kind) {
          case 'object': {
            const out: Record<string, unknown> = {};
            for (const [k, v] of node.entries) Object.defineProperty(out, k, { value: toPlain(v), enumerable: true, configurable: true, writable: true });
            return out;
          }
          case 'array':
            return node.items.map(toPlain);
          case 'number':
            return Number(node.text);
          case 'null':
            return null;
          default:
            return node.value;
        }
      };
      return toPlain(parseFirstValue(text));
    };
    fc.assert(
      fc.property(fc.json({ maxDepth: 5 }), (text) => {
        assert.deepStrictEqual(plain(text), JSON.parse(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with JSON.parse on the values it keeps from a JSON object', () => {
    fc.assert(
      fc.property(objects, (object) => {
        const text = JSON.stringify(object);
        const model = expected(JSON.parse(text) as Record<string, unknown>);
        try {
          const decoded = decode(text, SCHEMA);
          assert.equal(model.typeError, false, `expected a type error for ${text}`);
          assert.deepStrictEqual(decoded, model.value);
        } catch (error) {
          if (!(error instanceof GoJsonError) || error.code !== 'TYPE') throw error;
          assert.equal(model.typeError, true, `unexpected ${error.message} for ${text}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

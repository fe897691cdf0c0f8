import { GoJsonError } from './errors.js';
import { foldJsonKey } from './fold-key.js';
import { parseFirstValue, type JsonNode } from './value.js';

/**
 * How a Go struct field takes its JSON value:
 * - `string`, `bool`, `int` (Go `int`, 64-bit): scalars; `null` leaves the current value, or clears it when the
 *   field is a Go pointer (`pointer: true`);
 * - `stringArray` (`[]string`): replaced by each array; `null` elements become `""`;
 * - `stringMap` (`map[string]string`): merged into the current map, as Go reuses a non-nil map; `null` values become `""`;
 * - `struct` (a pointer to a nested struct, `schema`): merged into the current value;
 * - `raw` (`*json.RawMessage`): any value, kept as a {@link JsonNode} for a later {@link decodeNode}.
 * `stringArray`, `stringMap`, `struct` and `raw` are cleared by `null`.
 */
export type FieldKind = 'string' | 'bool' | 'int' | 'stringArray' | 'stringMap' | 'struct' | 'raw';

export interface FieldSchema {
  /** The key in JSON (the field's `json` tag). */
  readonly json: string;
  /** The Go field name, as validator messages print it. */
  readonly go: string;
  readonly kind: FieldKind;
  /** The Go type as `reflect.Type.String()` prints it in type errors (`event.TypeName`, `[]string`, …). */
  readonly goType: string;
  readonly pointer?: boolean;
  /** For `kind: 'struct'`. */
  readonly schema?: StructSchema;
}

export interface StructSchema {
  /** The Go struct's name, as type errors print it (`Subscription`). */
  readonly name: string;
  /** The Go type of the whole value (`subscription.Subscription`), for a top-level value of the wrong kind. */
  readonly goType: string;
  readonly fields: readonly FieldSchema[];
}

type ValueOf<F extends FieldSchema> = F['kind'] extends 'string'
  ? string
  : F['kind'] extends 'bool'
    ? boolean
    : F['kind'] extends 'int'
      ? number
      : F['kind'] extends 'stringArray'
        ? string[]
        : F['kind'] extends 'stringMap'
          ? Record<string, string>
          : F['kind'] extends 'raw'
            ? JsonNode
            : F extends { readonly schema: infer S extends StructSchema }
              ? Decoded<S>
              : never;

/** The decoded struct: one optional property per field, named by its JSON key; absent when never set (or cleared). */
export type Decoded<S extends StructSchema> = { [F in S['fields'][number] as F['json']]?: ValueOf<F> };

/** Declares a schema keeping its literal types, so that {@link decode} returns a precise {@link Decoded}. */
export function defineStruct<const S extends StructSchema>(schema: S): S {
  return schema;
}

/**
 * Go's `json.NewDecoder(body).Decode(&v)` into the struct described by `schema`: the first value only, syntax
 * errors first, then type errors (the first one is thrown after the whole value was applied, as Go reports it).
 * Throws only {@link GoJsonError}.
 */
export function decode<const S extends StructSchema>(input: string | Uint8Array, schema: S, maxDepth?: number): Decoded<S> {
  return guarded(() => decodeNode(parseFirstValue(input, maxDepth), schema));
}

/** Applies an already parsed value to `schema`, as `json.Unmarshal` of that value would. */
export function decodeNode<const S extends StructSchema>(node: JsonNode, schema: S): Decoded<S> {
  return guarded(() => {
    const target: Record<string, unknown> = {};
    const errors = new FirstError();
    if (node.kind === 'object') applyObject(node, schema, target, [], errors);
    else if (node.kind !== 'null') errors.report(node.kind, schema.goType, null);
    errors.throwIfAny();
    return target as Decoded<S>;
  });
}

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof GoJsonError) throw error;
    throw new GoJsonError('INTERNAL', `json: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface ErrorContext {
  readonly struct: string;
  readonly path: readonly string[];
}

class FirstError {
  private first: GoJsonError | undefined;

  /** `value` is Go's description of the JSON value: `string`, `number`, `number 1.5`, `bool`, `array`, `object`. */
  report(value: string, goType: string, context: ErrorContext | null): void {
    if (this.first) return;
    const target = context
      ? `Go struct field ${context.struct}.${context.path.join('.')}`
      : 'Go value';
    this.first = new GoJsonError('TYPE', `json: cannot unmarshal ${value} into ${target} of type ${goType}`);
  }

  throwIfAny(): void {
    if (this.first) throw this.first;
  }
}

interface FieldIndex {
  readonly exact: ReadonlyMap<string, FieldSchema>;
  readonly folded: ReadonlyMap<string, FieldSchema>;
}

const indexes = new WeakMap<StructSchema, FieldIndex>();

function indexOf(schema: StructSchema): FieldIndex {
  let index = indexes.get(schema);
  if (!index) {
    const exact = new Map<string, FieldSchema>();
    const folded = new Map<string, FieldSchema>();
    for (const field of schema.fields) {
      if (!exact.has(field.json)) exact.set(field.json, field);
      const fold = foldJsonKey(field.json);
      if (!folded.has(fold)) folded.set(fold, field);
    }
    index = { exact, folded };
    indexes.set(schema, index);
  }
  return index;
}

function applyObject(
  node: Extract<JsonNode, { kind: 'object' }>,
  schema: StructSchema,
  target: Record<string, unknown>,
  path: readonly string[],
  errors: FirstError,
): void {
  const index = indexOf(schema);
  for (const [key, value] of node.entries) {
    const field = index.exact.get(key) ?? index.folded.get(foldJsonKey(key));
    if (!field) continue; // unknown keys are ignored
    applyField(value, field, target, { struct: schema.name, path: [...path, field.json] }, errors);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(text: string): number | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? undefined : Number(n);
}

function applyField(
  node: JsonNode,
  field: FieldSchema,
  target: Record<string, unknown>,
  context: ErrorContext,
  errors: FirstError,
): void {
  const key = field.json;
  if (node.kind === 'null') {
    // null clears pointers, slices, maps and raw messages; it leaves other values alone.
    if (field.pointer || (field.kind !== 'string' && field.kind !== 'bool' && field.kind !== 'int')) delete target[key];
    return;
  }
  switch (field.kind) {
    case 'string':
      if (node.kind === 'string') target[key] = node.value;
      else errors.report(node.kind, field.goType, context);
      return;
    case 'bool':
      if (node.kind === 'bool') target[key] = node.value;
      else errors.report(node.kind, field.goType, context);
      return;
    case 'int': {
      if (node.kind !== 'number') return errors.report(node.kind, field.goType, context);
      const n = parseInt64(node.text);
      if (n === undefined) errors.report(`number ${node.text}`, field.goType, context);
      else target[key] = n;
      return;
    }
    case 'stringArray': {
      if (node.kind !== 'array') return errors.report(node.kind, field.goType, context);
      target[key] = node.items.map((item) => stringElement(item, context, errors));
      return;
    }
    case 'stringMap': {
      if (node.kind !== 'object') return errors.report(node.kind, field.goType, context);
      const current = target[key] as Record<string, string> | undefined;
      const map = new Map<string, string>(current ? Object.entries(current) : []);
      for (const [k, v] of node.entries) map.set(k, stringElement(v, context, errors));
      target[key] = Object.fromEntries(map); // own "__proto__" keys stay plain data
      return;
    }
    case 'struct': {
      if (node.kind !== 'object' || !field.schema) return errors.report(node.kind, field.goType, context);
      const current = (target[key] as Record<string, unknown> | undefined) ?? {};
      applyObject(node, field.schema, current, context.path, errors);
      target[key] = current;
      return;
    }
    case 'raw':
      target[key] = node;
      return;
  }
}

/** An element of a `[]string` or value of a `map[string]string`: `null` gives `""`, like Go's zero value. */
function stringElement(node: JsonNode, context: ErrorContext, errors: FirstError): string {
  if (node.kind === 'string') return node.value;
  if (node.kind !== 'null') errors.report(node.kind, 'string', context);
  return '';
}

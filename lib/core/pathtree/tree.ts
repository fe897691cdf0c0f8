import {
  PathConflictError,
  duplicateRouteError,
  parameterConflictError,
  staticConflictError,
  wildcardConflictError,
  wildcardNotLastError,
} from '../go/index.js';

export interface PathMatch<T> {
  value: T;
  /**
   * The captured segments by name, in a prototype-less object: empty (and frozen) for a route without parameters,
   * `null` for the root `/`. Keys are sorted as Go's JSON encoder sorts them, so serialising gives the original's
   * bytes (except for integer-like names, which a JavaScript object always puts first).
   */
  params: Record<string, string> | null;
}

const SLASH = 0x2f;
const COLON = 0x3a;
const ASTERISK = 0x2a;

const STATIC = 0;
const PARAM = 1;
const WILDCARD = 2;
type SegmentKind = typeof STATIC | typeof PARAM | typeof WILDCARD;

interface Segment {
  readonly kind: SegmentKind;
  /** The segment text for a static segment, the name after `:` or `*` otherwise. */
  readonly name: string;
}

interface ParamSlot {
  readonly name: string;
  /** Index of the captured value; the last capture when a name repeats (as in the original). */
  readonly capture: number;
}

/** Where the new nodes of a route start: below `node`, from the segment at `depth`. */
interface InsertionPoint<T> {
  readonly node: Node<T>;
  readonly depth: number;
}

interface Route<T> {
  readonly path: string;
  readonly value: T;
  readonly params: readonly ParamSlot[];
}

class Node<T> {
  readonly kind: SegmentKind;
  readonly name: string;
  /** Static children by segment text; null when there are none. Never set together with `dynamic`. */
  statics: Map<string, Node<T>> | null = null;
  /** The single parameter or wildcard child. */
  dynamic: Node<T> | null = null;
  route: Route<T> | null = null;

  constructor(segment: Segment) {
    this.kind = segment.kind;
    this.name = segment.name;
  }
}

const NO_CAPTURES: readonly string[] = [];
/** The params of every route without parameters: shared, so a static match allocates nothing. */
const NO_PARAMS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * A segment tree of URL paths (docs/compatibility.md#path-matching): static segments, `:name` parameters and a final
 * `*name` wildcard. Conflicting routes are refused at insertion, so the children of a node are either static segments,
 * or one parameter, or one wildcard, and a lookup never has to choose or backtrack.
 *
 * Paths are compared as given: case-sensitive and still percent-encoded.
 */
export class PathTree<T> {
  /** `/` is not a segment: it has its own slot (docs/compatibility.md#path-matching). */
  private rootRoute: Route<T> | null = null;
  private readonly root = new Node<T>({ kind: STATIC, name: '' });
  /**
   * The matches of the routes without parameters, by path (frozen, returned as they are): a walk would find the
   * same routes for those paths, since it prefers static children at every segment, but one lookup finds them.
   */
  private readonly staticMatches = new Map<string, PathMatch<T>>();

  /** Adds a route. Throws PathConflictError with the exact docs/compatibility.md#path-conflicts message on conflict. */
  insert(path: string, value: T): void {
    const conflict = this.tryInsert(path, value);
    if (conflict !== undefined) throw conflict;
  }

  /**
   * Adds a route unless it conflicts: returns undefined once added, or the PathConflictError that insert would
   * throw, with the tree unchanged. Like insert, throws a TypeError for a path that does not start with `/`.
   */
  tryInsert(path: string, value: T): PathConflictError | undefined {
    if (path === '/') {
      if (this.rootRoute !== null) return duplicateRouteError(path);
      this.rootRoute = { path, value, params: [] };
      return undefined;
    }
    const segments = parseRoute(path);
    if (segments instanceof PathConflictError) return segments;
    const point = this.findInsertionPoint(path, segments);
    if (point instanceof PathConflictError) return point;
    let current = point.node;
    for (const segment of segments.slice(point.depth)) current = addChild(current, segment);
    current.route = { path, value, params: paramSlots(segments) };
    if (segments.every((segment) => segment.kind === STATIC)) {
      this.staticMatches.set(path, Object.freeze({ value, params: NO_PARAMS }));
    }
    return undefined;
  }

  /** Throws the PathConflictError that insert(path) would throw, without changing the tree. */
  checkInsert(path: string): void {
    if (path === '/') {
      if (this.rootRoute !== null) throw duplicateRouteError(path);
      return;
    }
    const segments = parseRoute(path);
    if (segments instanceof PathConflictError) throw segments;
    const point = this.findInsertionPoint(path, segments);
    if (point instanceof PathConflictError) throw point;
  }

  /** Resolves an escaped request path. Returns undefined when nothing matches. */
  match(path: string): PathMatch<T> | undefined {
    // Hot path: runs for every request. A path without parameters is one map lookup; otherwise it walks the string
    // by index, with no split, regex or closures. The cost depends on the number of segments only, never on the
    // number of routes.
    if (path === '/') {
      const root = this.rootRoute;
      return root === null ? undefined : { value: root.value, params: null };
    }
    const staticMatch = this.staticMatches.get(path);
    if (staticMatch !== undefined) return staticMatch;
    if (path.charCodeAt(0) !== SLASH) return undefined;

    let node = this.root;
    let captures: string[] | null = null;
    let start = 1;
    for (;;) {
      const slash = path.indexOf('/', start);
      const segment = slash === -1 ? path.slice(start) : path.slice(start, slash);
      let child: Node<T> | null | undefined = node.statics === null ? undefined : node.statics.get(segment);
      if (child === undefined) {
        child = node.dynamic;
        if (child === null) return undefined;
        if (captures === null) captures = [];
        if (child.kind === WILDCARD) {
          captures.push(path.slice(start));
          return toMatch(child.route, captures);
        }
        captures.push(segment);
      }
      if (slash === -1) return toMatch(child.route, captures ?? NO_CAPTURES);
      node = child;
      start = slash + 1;
    }
  }

  /** Every stored route as [path, value], for debugging and rebuilds: the root first, then depth-first. */
  routes(): Array<[string, T]> {
    const found: Array<[string, T]> = [];
    if (this.rootRoute !== null) found.push([this.rootRoute.path, this.rootRoute.value]);
    const pending: Array<Node<T>> = [this.root];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (node.route !== null) found.push([node.route.path, node.route.value]);
      if (node.dynamic !== null) pending.push(node.dynamic);
      if (node.statics !== null) pending.push(...[...node.statics.values()].reverse());
    }
    return found;
  }

  /**
   * Walks the existing nodes of a route and returns where new nodes must start, or the first conflict. Once a node
   * is missing every later segment is new, so nothing below it can conflict.
   */
  private findInsertionPoint(path: string, segments: readonly Segment[]): InsertionPoint<T> | PathConflictError {
    let node = this.root;
    for (const [depth, segment] of segments.entries()) {
      const child = existingChild(node, segment, path);
      if (child === undefined) return { node, depth };
      if (child instanceof PathConflictError) return child;
      node = child;
    }
    if (node.route !== null) return duplicateRouteError(path);
    return { node, depth: segments.length };
  }
}

function toMatch<T>(route: Route<T> | null, captures: readonly string[]): PathMatch<T> | undefined {
  if (route === null) return undefined;
  const params: Record<string, string> = Object.create(null);
  for (const slot of route.params) params[slot.name] = captures[slot.capture]!;
  return { value: route.value, params };
}

/** The child a new route continues through, undefined when it needs a new node here, or the conflict. */
function existingChild<T>(node: Node<T>, segment: Segment, path: string): Node<T> | PathConflictError | undefined {
  const dynamic = node.dynamic;
  if (dynamic !== null && dynamic.kind === WILDCARD) return wildcardConflictError(dynamic.name, path);
  const hasStatics = node.statics !== null;

  switch (segment.kind) {
    case WILDCARD:
      if (dynamic !== null) return wildcardConflictError(dynamic.name, path);
      if (hasStatics) return wildcardConflictError('', path);
      return undefined;
    case PARAM:
      if (dynamic !== null) {
        if (dynamic.name === segment.name) return dynamic;
        return parameterConflictError(dynamic.name, path);
      }
      if (hasStatics) return staticConflictError(path);
      return undefined;
    case STATIC: {
      const existing = node.statics?.get(segment.name);
      if (existing !== undefined) return existing;
      if (dynamic !== null) return parameterConflictError(dynamic.name, path);
      return undefined;
    }
  }
}

function addChild<T>(parent: Node<T>, segment: Segment): Node<T> {
  const child = new Node<T>(segment);
  if (segment.kind === STATIC) {
    parent.statics ??= new Map();
    parent.statics.set(segment.name, child);
  } else {
    parent.dynamic = child;
  }
  return child;
}

/** Segments of a route other than `/`, or the conflict of a wildcard before the end. */
function parseRoute(path: string): Segment[] | PathConflictError {
  if (path.charCodeAt(0) !== SLASH) throw new TypeError(`route must start with "/": ${path}`);
  const segments = splitSegments(path);
  if (segments.some((segment, index) => segment.kind === WILDCARD && index < segments.length - 1)) {
    return wildcardNotLastError(path);
  }
  return segments;
}

/** Drops the leading `/` and splits on `/`: a trailing slash gives an empty last segment. */
function splitSegments(path: string): Segment[] {
  return path.slice(1).split('/').map(toSegment);
}

function toSegment(text: string): Segment {
  const first = text.charCodeAt(0);
  if (first === COLON) return { kind: PARAM, name: text.slice(1) };
  if (first === ASTERISK) return { kind: WILDCARD, name: text.slice(1) };
  return { kind: STATIC, name: text };
}

function paramSlots(segments: readonly Segment[]): ParamSlot[] {
  const lastCapture = new Map<string, number>();
  let capture = 0;
  for (const segment of segments) {
    if (segment.kind === STATIC) continue;
    lastCapture.set(segment.name, capture);
    capture++;
  }
  return [...lastCapture]
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([name, index]) => ({ name, capture: index }));
}

/** Code-point order, which is the UTF-8 byte order Go sorts map keys by; `<` on strings compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

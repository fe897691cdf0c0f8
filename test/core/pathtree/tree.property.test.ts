import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { PathConflictError, PathTree } from '../../../lib/core/pathtree/index.js';

// A deliberately naive model of docs/compatibility.md#path-matching: no tree, just the list of accepted routes, re-scanned for every question.

type Params = Record<string, string>;
interface ReferenceMatch {
  value: number;
  params: Params | null;
}

const isParam = (segment: string): boolean => segment.startsWith(':');
const isWildcard = (segment: string): boolean => segment.startsWith('*');
const segmentsOf = (path: string): string[] => path.slice(1).split('/');

/** docs/compatibility.md#path-matching: does one route pattern match the request segments, and with which params? */
function matchPattern(pattern: readonly string[], request: readonly string[]): Params | null {
  const params: Params = Object.create(null);
  for (const [i, part] of pattern.entries()) {
    const actual = request[i];
    if (actual === undefined) return null;
    if (isWildcard(part)) {
      params[part.slice(1)] = request.slice(i).join('/');
      return params;
    }
    if (isParam(part)) params[part.slice(1)] = actual;
    else if (part !== actual) return null;
  }
  return pattern.length === request.length ? params : null;
}

function referenceMatch(accepted: ReadonlyArray<[string, number]>, path: string): ReferenceMatch | undefined {
  if (path === '/') {
    const root = accepted.find(([route]) => route === '/');
    return root === undefined ? undefined : { value: root[1], params: null };
  }
  if (!path.startsWith('/')) return undefined;
  const request = segmentsOf(path);
  const hits: ReferenceMatch[] = [];
  for (const [route, value] of accepted) {
    if (route === '/') continue;
    const params = matchPattern(segmentsOf(route), request);
    if (params !== null) hits.push({ value, params });
  }
  assert.ok(hits.length <= 1, `accepted routes must never overlap, but ${hits.length} match ${path}`);
  return hits[0];
}

/** docs/compatibility.md#path-conflicts: the message insert must throw for `route`, or null when it is accepted. */
function referenceConflict(acceptedPaths: readonly string[], route: string): string | null {
  if (route === '/') return acceptedPaths.includes('/') ? 'route / conflicts with existing route' : null;
  const segments = segmentsOf(route);
  if (segments.some((segment, i) => isWildcard(segment) && i < segments.length - 1)) {
    return 'wildcard must be the last parameter';
  }
  const others = acceptedPaths.filter((path) => path !== '/').map(segmentsOf);
  const wildcardConflict = (name: string) =>
    `wildcard with different name (${JSON.stringify(name)}) already defined: for route: ${route}`;

  for (const [depth, segment] of segments.entries()) {
    const sharesPrefix = (other: string[]) => segments.slice(0, depth).every((part, i) => other[i] === part);
    const siblings = new Set(others.filter((other) => other.length > depth && sharesPrefix(other)).map((o) => o[depth]));
    const existingWildcard = [...siblings].find((s) => s !== undefined && isWildcard(s));
    const existingParam = [...siblings].find((s) => s !== undefined && isParam(s));

    if (existingWildcard !== undefined) return wildcardConflict(existingWildcard.slice(1));
    if (isWildcard(segment)) {
      if (existingParam !== undefined) return wildcardConflict(existingParam.slice(1));
      return siblings.size > 0 ? wildcardConflict('') : null;
    }
    if (existingParam !== undefined) {
      if (existingParam === segment) continue;
      return `parameter with different name (${JSON.stringify(existingParam.slice(1))}) already defined: for route: ${route}`;
    }
    if (isParam(segment)) return siblings.size > 0 ? `static route already defined for route: ${route}` : null;
    if (!siblings.has(segment)) return null;
  }
  return acceptedPaths.includes(route) ? `route ${route} conflicts with existing route` : null;
}

const routeSegment = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'c', ''), weight: 6 },
  { arbitrary: fc.constantFrom(':x', ':y', ':'), weight: 2 },
  { arbitrary: fc.constantFrom('*w', '*v', '*'), weight: 1 },
);
const route = fc.oneof(
  { arbitrary: fc.constant('/'), weight: 1 },
  { arbitrary: fc.array(routeSegment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`), weight: 12 },
);
const requestPath = fc.oneof(
  {
    arbitrary: fc
      .array(fc.constantFrom('a', 'b', 'c', '', 'd', ':x', '*w'), { maxLength: 6 })
      .map((s) => `/${s.join('/')}`),
    weight: 20,
  },
  { arbitrary: fc.constantFrom('', 'a', 'a/b', '*'), weight: 1 },
);
const scenario = fc.record({
  first: fc.array(route, { maxLength: 12 }),
  second: fc.array(route, { maxLength: 6 }),
  requests: fc.array(requestPath, { minLength: 1, maxLength: 12 }),
});

function conflictMessage(action: () => void): string | null {
  try {
    action();
    return null;
  } catch (error) {
    if (!(error instanceof PathConflictError)) throw error;
    return error.message;
  }
}

const byPath = (a: [string, number], b: [string, number]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]);

describe('Class: PathTree (property)', () => {
  it('agrees with a naive model of docs/compatibility.md#path-matching on conflicts and matches', () => {
    fc.assert(
      fc.property(scenario, ({ first, second, requests }) => {
        const tree = new PathTree<number>();
        const accepted: Array<[string, number]> = [];
        let nextValue = 0;

        const insert = (path: string) => {
          const expected = referenceConflict(
            accepted.map(([p]) => p),
            path,
          );
          assert.equal(conflictMessage(() => tree.checkInsert(path)), expected, `checkInsert ${path}`);
          assert.equal(conflictMessage(() => tree.insert(path, nextValue)), expected, `insert ${path}`);
          if (expected === null) accepted.push([path, nextValue]);
          nextValue++;
        };

        first.forEach(insert);
        second.forEach(insert);

        assert.deepEqual([...tree.routes()].sort(byPath), [...accepted].sort(byPath));
        for (const path of requests) {
          assert.deepEqual(tree.match(path), referenceMatch(accepted, path), `match ${path}`);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('matches every accepted route through paths built from it', () => {
    const filler = fc.constantFrom('a', 'b', 'q', '', 'x%20y', ':x');
    fc.assert(
      fc.property(fc.array(route, { maxLength: 12 }), fc.array(filler, { minLength: 4, maxLength: 8 }), (routes, fill) => {
        const tree = new PathTree<number>();
        const accepted: Array<[string, number]> = [];
        routes.forEach((path, value) => {
          if (conflictMessage(() => tree.insert(path, value)) === null) accepted.push([path, value]);
        });

        for (const [path, value] of accepted) {
          // Replace each param with a filler value and a wildcard with one or more filler segments.
          const request =
            path === '/'
              ? '/'
              : `/${segmentsOf(path)
                  .map((part, i) =>
                    isWildcard(part) ? fill.slice(i % 3).join('/') : isParam(part) ? (fill[i] ?? '') : part,
                  )
                  .join('/')}`;
          const found = tree.match(request);
          // An empty fill can collapse the request to `/`, which only the root route matches (docs/compatibility.md#path-matching).
          if (request !== '/' || path === '/') assert.equal(found?.value, value, `${request} should match ${path}`);
          assert.deepEqual(found, referenceMatch(accepted, request));
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

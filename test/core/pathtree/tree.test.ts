import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PathConflictError, PathTree } from '../../../lib/core/pathtree/index.js';

function treeOf(...paths: string[]): PathTree<string> {
  const tree = new PathTree<string>();
  for (const path of paths) tree.insert(path, path);
  return tree;
}

function params(entries: Record<string, string>): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, entries);
}

function assertConflict(action: () => void, message: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof PathConflictError, `expected PathConflictError, got ${String(error)}`);
    assert.equal(error.message, message);
    assert.equal(error.name, 'PathConflictError');
    return true;
  });
}


/** A sample tree's routes, and paths that conflict with them, each with the error insert gives (docs/compatibility.md#path-conflicts). */
const SAMPLE_CONFLICT_ROUTES = ['/', '/a', '/b/:p', '/b/:p/*w'] as const;
const CONFLICTS_WITH_SAMPLE_TREE = [
      ['/', 'route / conflicts with existing route'],
      ['/a', 'route /a conflicts with existing route'],
      ['/*x', 'wildcard with different name ("") already defined: for route: /*x'],
      ['/:q', 'static route already defined for route: /:q'],
      ['/b/:q/c', 'parameter with different name ("p") already defined: for route: /b/:q/c'],
      ['/b/:p/x', 'wildcard with different name ("w") already defined: for route: /b/:p/x'],
      ['/*x/y', 'wildcard must be the last parameter'],
] as const;

describe('Class: PathTree', () => {
  describe('Method: insert (docs/compatibility.md#path-conflicts conflicts)', () => {
    const rows: Array<{ existing: string; added: string; message: string }> = [
      { existing: '/', added: '/', message: 'route / conflicts with existing route' },
      { existing: '/a', added: '/a', message: 'route /a conflicts with existing route' },
      {
        existing: '/:foo',
        added: '/:bar',
        message: 'parameter with different name ("foo") already defined: for route: /:bar',
      },
      {
        existing: '/:foo',
        added: '/bar',
        message: 'parameter with different name ("foo") already defined: for route: /bar',
      },
      { existing: '/a', added: '/:id', message: 'static route already defined for route: /:id' },
      {
        existing: '/*foo',
        added: '/*bar',
        message: 'wildcard with different name ("foo") already defined: for route: /*bar',
      },
      {
        existing: '/*foo',
        added: '/bar',
        message: 'wildcard with different name ("foo") already defined: for route: /bar',
      },
      {
        existing: '/*foo',
        added: '/:bar',
        message: 'wildcard with different name ("foo") already defined: for route: /:bar',
      },
      {
        existing: '/*foo',
        added: '/*foo',
        message: 'wildcard with different name ("foo") already defined: for route: /*foo',
      },
      {
        existing: '/:foo',
        added: '/*bar',
        message: 'wildcard with different name ("foo") already defined: for route: /*bar',
      },
      {
        existing: '/a',
        added: '/*x',
        message: 'wildcard with different name ("") already defined: for route: /*x',
      },
      { existing: '/a', added: '/*foo/bar', message: 'wildcard must be the last parameter' },
      { existing: '/*foo', added: '/*foo/bar', message: 'wildcard must be the last parameter' },
    ];

    for (const { existing, added, message } of rows) {
      it(`refuses ${added} after ${existing} with "${message}"`, () => {
        const tree = treeOf(existing);

        assertConflict(() => tree.insert(added, 'new'), message);
        assert.deepEqual(tree.routes(), [[existing, existing]]);
      });
    }

    it('refuses a wildcard before the last segment in an empty tree and leaves no node behind', () => {
      const tree = new PathTree<string>();

      assertConflict(() => tree.insert('/*foo/bar', 'x'), 'wildcard must be the last parameter');
      tree.insert('/a', '/a');
      assert.deepEqual(tree.routes(), [['/a', '/a']]);
    });

    it('reports the conflict with the full new route when it is found deep in the path', () => {
      const tree = treeOf('/users/:id/posts');

      assertConflict(
        () => tree.insert('/users/:name/comments', 'x'),
        'parameter with different name ("id") already defined: for route: /users/:name/comments',
      );
      assertConflict(() => tree.insert('/users/all', 'x'), 'parameter with different name ("id") already defined: for route: /users/all');
    });

    it('refuses a static route beside a parameter at a lower level', () => {
      const tree = treeOf('/:foo/:bar');

      assertConflict(() => tree.insert('/baz', 'x'), 'parameter with different name ("foo") already defined: for route: /baz');
    });

    it('refuses a duplicate parameterised route with the duplicate-route message', () => {
      const tree = treeOf('/:foo/bar');

      assertConflict(() => tree.insert('/:foo/bar', 'x'), 'route /:foo/bar conflicts with existing route');
    });

    it('quotes parameter names the way Go %q does', () => {
      assertConflict(
        () => treeOf('/:a"b\\c').insert('/:d', 'x'),
        'parameter with different name ("a\\"b\\\\c") already defined: for route: /:d',
      );
      assertConflict(
        () => treeOf('/:tab\there\n\u0001\u007f').insert('/:d', 'x'),
        'parameter with different name ("tab\\there\\n\\x01\\x7f") already defined: for route: /:d',
      );
      assertConflict(
        () => treeOf('/*é😸\u200b').insert('/x', 'x'),
        'wildcard with different name ("é😸\\u200b") already defined: for route: /x',
      );
    });

    it('throws a TypeError for a route without a leading slash', () => {
      assert.throws(() => new PathTree<string>().insert('a/b', 'x'), TypeError);
      assert.throws(() => new PathTree<string>().insert('', 'x'), TypeError);
    });

    it('accepts the coexisting routes of docs/compatibility.md#path-matching', () => {
      for (const set of [
        ['/:name', '/:name/:id'],
        ['/a', '/b', '/a/b', '/d/e/f'],
        ['/:foo', '/:foo/bar'],
        ['/', '/a', '/a/:x/y', '/b/*rest'],
        ['/', '/*all'],
        ['/a', '/a/', '/a//b'],
      ]) {
        const tree = treeOf(...set);
        assert.deepEqual(tree.routes().map(([path]) => path).sort(), [...set].sort());
      }
    });
  });

  describe('Method: match (docs/compatibility.md#path-matching)', () => {
    it('matches the root only when a root route exists, with null params', () => {
      assert.equal(new PathTree<string>().match('/'), undefined);
      assert.deepEqual(treeOf('/').match('/'), { value: '/', params: null });
    });

    it('never matches the root path with a parameter or wildcard route', () => {
      const tree = treeOf('/:name');
      assert.equal(tree.match('/'), undefined);
      assert.equal(treeOf('/*all').match('/'), undefined);
    });

    it('matches static routes with an empty prototype-less params object', () => {
      const tree = treeOf('/a', '/b', '/a/b', '/d/e/f');

      for (const path of ['/a', '/b', '/a/b', '/d/e/f']) {
        const found = tree.match(path);
        assert.equal(found?.value, path);
        assert.deepEqual(found?.params, params({}));
        assert.equal(Object.getPrototypeOf(found?.params), null);
      }
      assert.equal(tree.match('/d/e'), undefined);
      assert.equal(tree.match('/c'), undefined);
    });

    it('does not match a prefix or an extension of a route', () => {
      const tree = treeOf('/a/b/c/d');

      assert.equal(tree.match('/b'), undefined);
      assert.equal(tree.match('/a/b'), undefined);
      assert.equal(tree.match('/a/b/c/d/e'), undefined);
    });

    it('treats a trailing slash as an empty last segment', () => {
      const tree = treeOf('/a/');

      assert.equal(tree.match('/a'), undefined);
      assert.equal(tree.match('/a/')?.value, '/a/');
      assert.equal(treeOf('/a').match('/a/'), undefined);
    });

    it('treats a double slash as an empty static segment', () => {
      const tree = treeOf('/a//b');

      assert.equal(tree.match('/a//b')?.value, '/a//b');
      assert.equal(tree.match('/a/b'), undefined);
    });

    it('captures parameters by name', () => {
      const tree = treeOf('/:name', '/:name/:id');

      assert.deepEqual(tree.match('/foo'), { value: '/:name', params: params({ name: 'foo' }) });
      assert.deepEqual(tree.match('/foo/1'), { value: '/:name/:id', params: params({ name: 'foo', id: '1' }) });
    });

    it('matches a parameter against exactly one segment', () => {
      assert.equal(treeOf('/:name').match('/foo/bar/baz'), undefined);
    });

    it('matches a parameter against an empty segment', () => {
      assert.deepEqual(treeOf('/users/:id').match('/users/'), { value: '/users/:id', params: params({ id: '' }) });
      assert.equal(treeOf('/users/:id').match('/users'), undefined);
    });

    it('matches parameters around a static segment', () => {
      const found = treeOf('/:name/bar/:id').match('/foo/bar/baz');

      assert.deepEqual(found, { value: '/:name/bar/:id', params: params({ name: 'foo', id: 'baz' }) });
      assert.equal(treeOf('/:name/bar/:id').match('/foo/baz/baz'), undefined);
    });

    it('captures the rest of the path with a wildcard', () => {
      assert.deepEqual(treeOf('/*foo').match('/foo/bar/baz'), {
        value: '/*foo',
        params: params({ foo: 'foo/bar/baz' }),
      });
    });

    it('captures an empty rest with a wildcard but needs its segment to exist', () => {
      const tree = treeOf('/files/*p');

      assert.deepEqual(tree.match('/files/a/b'), { value: '/files/*p', params: params({ p: 'a/b' }) });
      assert.deepEqual(tree.match('/files/'), { value: '/files/*p', params: params({ p: '' }) });
      assert.deepEqual(tree.match('/files//'), { value: '/files/*p', params: params({ p: '/' }) });
      assert.equal(tree.match('/files'), undefined);
    });

    it('combines parameters with a wildcard', () => {
      assert.deepEqual(treeOf('/:space/*rest').match('/s1/a/b/'), {
        value: '/:space/*rest',
        params: params({ space: 's1', rest: 'a/b/' }),
      });
    });

    it('does not backtrack: a static branch that ends without a route is no match', () => {
      const tree = treeOf('/a/b', '/a/c/d');

      assert.equal(tree.match('/a/c'), undefined);
      assert.equal(tree.match('/a/x'), undefined);
    });

    it('is case-sensitive and does not decode the path', () => {
      const tree = treeOf('/Users/:id', '/a%20b');

      assert.equal(tree.match('/users/1'), undefined);
      assert.deepEqual(tree.match('/Users/a%20b')?.params, params({ id: 'a%20b' }));
      assert.equal(tree.match('/a%20b')?.value, '/a%20b');
      assert.equal(tree.match('/a b'), undefined);
    });

    it('keeps the last capture when a parameter name repeats', () => {
      assert.deepEqual(treeOf('/:x/:x').match('/1/2')?.params, params({ x: '2' }));
    });

    it('returns params keys in the order Go encodes them (sorted)', () => {
      const found = treeOf('/:name/bar/:id/*all').match('/foo/bar/baz/q');

      assert.deepEqual(Object.keys(found?.params ?? {}), ['all', 'id', 'name']);
    });

    it('accepts a parameter named __proto__ as an ordinary key', () => {
      const found = treeOf('/:__proto__').match('/x');

      assert.deepEqual(Object.entries(found?.params ?? {}), [['__proto__', 'x']]);
    });

    it('returns undefined for a path without a leading slash', () => {
      for (const tree of [treeOf('/a'), treeOf('/*all'), treeOf('/:p')]) {
        assert.equal(tree.match('a'), undefined);
        assert.equal(tree.match(''), undefined);
        assert.equal(tree.match('*'), undefined);
      }
    });

    it('returns a fresh params object on every call', () => {
      const tree = treeOf('/:id');
      const first = tree.match('/1');
      const second = tree.match('/2');

      assert.deepEqual(first?.params, params({ id: '1' }));
      assert.deepEqual(second?.params, params({ id: '2' }));
    });
  });

  describe('Method: checkInsert', () => {
    it('throws the same error as insert for every conflict and leaves the tree unchanged', () => {
      const tree = treeOf(...SAMPLE_CONFLICT_ROUTES);
      const before = tree.routes();

      for (const [path, message] of CONFLICTS_WITH_SAMPLE_TREE) {
        assertConflict(() => tree.checkInsert(path), message);
        assertConflict(() => tree.insert(path, 'x'), message);
      }
      assert.deepEqual(tree.routes(), before);
    });

    it('does not add an accepted route', () => {
      const tree = treeOf('/a');

      tree.checkInsert('/b/c');
      tree.checkInsert('/');

      assert.deepEqual(tree.routes(), [['/a', '/a']]);
      assert.equal(tree.match('/b/c'), undefined);
      assert.equal(tree.match('/'), undefined);
    });
  });

  describe('Method: tryInsert', () => {
    function assertConflictValue(result: PathConflictError | undefined, message: string): void {
      assert.ok(result instanceof PathConflictError, `expected a PathConflictError, got ${String(result)}`);
      assert.equal(result.message, message);
    }

    it('returns undefined and adds the route when nothing conflicts', () => {
      const tree = treeOf('/a');

      assert.equal(tree.tryInsert('/b/:id', '/b/:id'), undefined);
      assert.equal(tree.tryInsert('/', '/'), undefined);

      assert.deepEqual(tree.match('/b/7'), { value: '/b/:id', params: params({ id: '7' }) });
      assert.deepEqual(tree.match('/'), { value: '/', params: null });
    });

    it('returns the error insert would throw, without throwing, and leaves the tree unchanged', () => {
      const tree = treeOf(...SAMPLE_CONFLICT_ROUTES);
      const before = tree.routes();

      for (const [path, message] of CONFLICTS_WITH_SAMPLE_TREE) {
        const result = tree.tryInsert(path, 'conflicting');
        assertConflictValue(result, message);
        assert.equal(result?.route, path);
      }
      assert.deepEqual(tree.routes(), before);
    });

    it('keeps the earlier route matching and the refused one unmatched', () => {
      const tree = treeOf('/users/:id');

      assertConflictValue(
        tree.tryInsert('/users/:name/posts', 'refused'),
        'parameter with different name ("id") already defined: for route: /users/:name/posts',
      );
      assertConflictValue(tree.tryInsert('/users/me', 'refused'), 'parameter with different name ("id") already defined: for route: /users/me');

      assert.deepEqual(tree.match('/users/me'), { value: '/users/:id', params: params({ id: 'me' }) });
      assert.equal(tree.match('/users/bob/posts'), undefined);
      assert.deepEqual(tree.routes(), [['/users/:id', '/users/:id']]);
    });

    it('leaves no node behind a refused route, so a later route that fits is accepted', () => {
      const tree = new PathTree<string>();

      assertConflictValue(tree.tryInsert('/*rest/x', 'refused'), 'wildcard must be the last parameter');
      assert.equal(tree.tryInsert('/a', '/a'), undefined);
      assert.deepEqual(tree.routes(), [['/a', '/a']]);
    });

    it('still throws a TypeError for a route without a leading slash', () => {
      assert.throws(() => new PathTree<string>().tryInsert('a/b', 'x'), TypeError);
    });
  });

  describe('Method: routes', () => {
    it('lists the root first and then every route depth-first in insertion order', () => {
      const tree = new PathTree<number>();
      tree.insert('/b/:id', 1);
      tree.insert('/a', 2);
      tree.insert('/', 3);
      tree.insert('/b', 4);
      tree.insert('/a/*rest', 5);

      assert.deepEqual(tree.routes(), [
        ['/', 3],
        ['/b', 4],
        ['/b/:id', 1],
        ['/a', 2],
        ['/a/*rest', 5],
      ]);
    });
  });
});

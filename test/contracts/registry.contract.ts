/**
 * The Registry port's contract, written once and run against every adapter (SQLite, DynamoDB):
 *
 *   runRegistryContract('sqlite', async () => ({ registry, cleanup }));
 *
 * `create` must return an empty registry for each test; `cleanup` releases it. Change listeners may be called
 * synchronously or later (an adapter may poll a change log), so the suite waits for changes instead of assuming
 * they have arrived when a write resolves.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ItemByKind, Kind } from '../../lib/core/model/types.js';
import type { Connection } from '../../lib/core/connections/index.js';
import { ConnectionExistsError, ItemExistsError, ReferenceMissingError } from '../../lib/ports/registry.js';
import type { ReferenceRule, Registry, RegistryChange, RegistrySnapshot } from '../../lib/ports/registry.js';

export interface RegistryUnderTest {
  registry: Registry;
  cleanup(): Promise<void>;
}

/** How long the suite waits for a change to reach a listener. */
const CHANGE_TIMEOUT_MS = 5000;

const KINDS: readonly Kind[] = ['eventtype', 'function', 'subscription', 'cors'];

/** A valid item of `kind`; `note` goes into its metadata so two versions of one item differ. */
function makeItem<K extends Kind>(kind: K, space: string, id: string, note = 'v1'): ItemByKind[K] {
  const metadata = { note };
  const items: ItemByKind = {
    eventtype: { space, name: id, authorizerId: 'authorizer', metadata },
    function: {
      space,
      functionId: id,
      type: 'http',
      provider: { url: `http://127.0.0.1:8080/${note}`, headers: { 'x-api-key': 'key' } },
      metadata,
    },
    subscription: {
      space,
      subscriptionId: id,
      type: 'async',
      eventType: 'user.created',
      functionId: 'handler',
      path: '/users',
      method: 'POST',
      metadata,
      retry: { maxAttempts: 3, baseDelayMs: 10 },
      timeoutMs: 1000,
    },
    cors: {
      space,
      corsId: id,
      method: 'GET',
      path: '/users',
      allowedOrigins: ['*'],
      allowedMethods: ['GET', 'POST'],
      allowedHeaders: ['Content-Type'],
      allowCredentials: false,
      metadata,
    },
  };
  return items[kind];
}

/** Records every change one listener receives. */
class ChangeRecorder {
  readonly changes: RegistryChange[] = [];
  readonly unsubscribe: () => void;

  constructor(registry: Registry) {
    this.unsubscribe = registry.onChange((change) => {
      this.changes.push(change);
    });
  }

  /** Resolves with the first `count` changes once they have arrived. */
  async waitFor(count: number): Promise<RegistryChange[]> {
    const deadline = Date.now() + CHANGE_TIMEOUT_MS;
    while (this.changes.length < count) {
      if (Date.now() > deadline) {
        assert.fail(`expected ${count} changes within ${CHANGE_TIMEOUT_MS} ms, got ${JSON.stringify(this.changes)}`);
      }
      await sleep(5);
    }
    return this.changes.slice(0, count);
  }
}

/** Snapshot items sorted by (space, id), so the suite does not depend on the adapter's snapshot order. */
function sortedSnapshotItems(snapshot: RegistrySnapshot) {
  const byKey = (a: { space: string }, b: { space: string }, aId: string, bId: string) =>
    a.space === b.space ? (aId < bId ? -1 : aId > bId ? 1 : 0) : a.space < b.space ? -1 : 1;
  return {
    eventtype: [...snapshot.eventtype].sort((a, b) => byKey(a, b, a.name, b.name)),
    function: [...snapshot.function].sort((a, b) => byKey(a, b, a.functionId, b.functionId)),
    subscription: [...snapshot.subscription].sort((a, b) => byKey(a, b, a.subscriptionId, b.subscriptionId)),
    cors: [...snapshot.cors].sort((a, b) => byKey(a, b, a.corsId, b.corsId)),
  };
}

export function runRegistryContract(adapterName: string, create: () => Promise<RegistryUnderTest>): void {
  describe(`Registry contract [${adapterName}]`, () => {
    let subject: RegistryUnderTest | undefined;

    beforeEach(async () => {
      subject = await create();
    });

    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    function test(name: string, body: (registry: Registry) => Promise<void>): void {
      it(`[${adapterName}] ${name}`, async () => {
        assert.ok(subject, 'the adapter factory did not produce a registry');
        await body(subject.registry);
      });
    }

    for (const kind of KINDS) {
      describe(`kind ${kind}`, () => {
        test(`create then get returns the item (${kind})`, async (registry) => {
          const item = makeItem(kind, 'space-a', 'first');
          await registry.create(kind, item);
          assert.deepEqual(await registry.get(kind, 'space-a', 'first'), item);
        });

        test(`get of a missing item returns undefined (${kind})`, async (registry) => {
          await registry.create(kind, makeItem(kind, 'space-a', 'first'));
          assert.equal(await registry.get(kind, 'space-a', 'second'), undefined);
          assert.equal(await registry.get(kind, 'space-b', 'first'), undefined);
        });

        test(`list returns every item of the kind in the space (${kind})`, async (registry) => {
          const one = makeItem(kind, 'space-a', 'one');
          const two = makeItem(kind, 'space-a', 'two');
          await registry.create(kind, one);
          await registry.create(kind, two);
          assert.deepEqual(await registry.list(kind, 'space-a'), [two, one]);
        });

        test(`create rejects with ItemExistsError and keeps the stored item (${kind})`, async (registry) => {
          const original = makeItem(kind, 'space-a', 'first', 'original');
          await registry.create(kind, original);
          await assert.rejects(registry.create(kind, makeItem(kind, 'space-a', 'first', 'second try')), (error) => {
            assert.ok(error instanceof ItemExistsError, `expected ItemExistsError, got ${String(error)}`);
            assert.equal(error.kind, kind);
            assert.equal(error.space, 'space-a');
            assert.equal(error.id, 'first');
            assert.equal(error.message, `${kind} space-a/first already exists`);
            return true;
          });
          assert.deepEqual(await registry.get(kind, 'space-a', 'first'), original);
        });

        test(`put replaces an existing item (${kind})`, async (registry) => {
          await registry.create(kind, makeItem(kind, 'space-a', 'first', 'v1'));
          const replacement = makeItem(kind, 'space-a', 'first', 'v2');
          await registry.put(kind, replacement);
          assert.deepEqual(await registry.get(kind, 'space-a', 'first'), replacement);
          assert.deepEqual(await registry.list(kind, 'space-a'), [replacement]);
        });

        test(`put creates a missing item (${kind})`, async (registry) => {
          const item = makeItem(kind, 'space-a', 'first');
          await registry.put(kind, item);
          assert.deepEqual(await registry.get(kind, 'space-a', 'first'), item);
        });

        test(`delete removes the item and returns true, then false (${kind})`, async (registry) => {
          const kept = makeItem(kind, 'space-a', 'kept');
          await registry.create(kind, kept);
          await registry.create(kind, makeItem(kind, 'space-a', 'gone'));
          assert.equal(await registry.delete(kind, 'space-a', 'gone'), true);
          assert.equal(await registry.get(kind, 'space-a', 'gone'), undefined);
          assert.deepEqual(await registry.list(kind, 'space-a'), [kept]);
          assert.equal(await registry.delete(kind, 'space-a', 'gone'), false);
        });

        test(`an item can be created again after it was deleted (${kind})`, async (registry) => {
          await registry.create(kind, makeItem(kind, 'space-a', 'first', 'v1'));
          await registry.delete(kind, 'space-a', 'first');
          const again = makeItem(kind, 'space-a', 'first', 'v2');
          await registry.create(kind, again);
          assert.deepEqual(await registry.get(kind, 'space-a', 'first'), again);
        });
      });
    }

    test('list of a space without items is an empty array', async (registry) => {
      await registry.create('function', makeItem('function', 'space-a', 'first'));
      assert.deepEqual(await registry.list('function', 'space-b'), []);
      assert.deepEqual(await registry.list('eventtype', 'space-a'), []);
    });

    test('list returns ids in descending byte order', async (registry) => {
      // Descending UTF-8 byte order, as etcd sorts keys. U+FF5E sorts below U+1F600 in bytes (EF… < F0…) but
      // above it in UTF-16 code units (FF5E > D83D), so JavaScript's own string order would fail here.
      const expected = ['\u{1F600}', '\uFF5E', 'é', '~', 'ab', 'aa', 'a', 'Z', 'B', 'A', '10', '1', '-'];
      for (const id of ['a', 'B', 'aa', '~', '1', '\uFF5E', 'Z', '-', 'é', '10', 'A', '\u{1F600}', 'ab']) {
        await registry.create('eventtype', makeItem('eventtype', 'space-a', id));
      }
      const ids = (await registry.list('eventtype', 'space-a')).map((item) => item.name);
      assert.deepEqual(ids, expected);
      const byBytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(y), Buffer.from(x)));
      assert.deepEqual(ids, byBytes);
    });

    test('the same id under two kinds is two separate items', async (registry) => {
      const eventType = makeItem('eventtype', 'space-a', 'shared');
      const fn = makeItem('function', 'space-a', 'shared');
      await registry.create('eventtype', eventType);
      await registry.create('function', fn);
      assert.equal(await registry.delete('eventtype', 'space-a', 'shared'), true);
      assert.equal(await registry.get('eventtype', 'space-a', 'shared'), undefined);
      assert.deepEqual(await registry.get('function', 'space-a', 'shared'), fn);
      assert.deepEqual(await registry.list('function', 'space-a'), [fn]);
    });

    test('spaces are isolated, including spaces that are prefixes of each other', async (registry) => {
      const spaces = ['ab', 'abc', 'abc.d'];
      for (const space of spaces) {
        await registry.create('subscription', makeItem('subscription', space, 'sub', space));
        await registry.create('subscription', makeItem('subscription', space, `only-${space}`, space));
      }
      for (const space of spaces) {
        assert.deepEqual(await registry.list('subscription', space), [
          makeItem('subscription', space, 'sub', space),
          makeItem('subscription', space, `only-${space}`, space),
        ]);
      }
      await assert.rejects(registry.create('subscription', makeItem('subscription', 'abc', 'sub')), ItemExistsError);
      await registry.create('subscription', makeItem('subscription', 'abcd', 'sub', 'abcd'));
      assert.equal(await registry.delete('subscription', 'abc', 'sub'), true);
      assert.equal(await registry.get('subscription', 'abc', 'sub'), undefined);
      assert.deepEqual(await registry.get('subscription', 'ab', 'sub'), makeItem('subscription', 'ab', 'sub', 'ab'));
      assert.deepEqual(
        await registry.get('subscription', 'abcd', 'sub'),
        makeItem('subscription', 'abcd', 'sub', 'abcd'),
      );
      assert.equal(await registry.get('subscription', 'abc', 'only-ab'), undefined);
    });

    test('items round-trip exactly, including ids with reserved characters', async (registry) => {
      const subscription = {
        ...makeItem('subscription', 'default', 'async,user.created,handler,%2Fusers%2F:id,POST'),
        path: '/users/:id',
        metadata: { team: 'ünïcødé ✓', quote: '"\'\\', empty: '' },
      };
      const cors = { ...makeItem('cors', 'default', 'GET%2Fusers%2F:id'), path: '/users/:id' };
      const fn = {
        space: 'default',
        functionId: 'lambda/fn',
        type: 'awslambda',
        provider: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:fn', region: 'us-east-1' },
      } satisfies ItemByKind['function'];
      await registry.create('subscription', subscription);
      await registry.create('cors', cors);
      await registry.create('function', fn);
      assert.deepEqual(await registry.get('subscription', 'default', subscription.subscriptionId), subscription);
      assert.deepEqual(await registry.get('cors', 'default', cors.corsId), cors);
      assert.deepEqual(await registry.get('function', 'default', 'lambda/fn'), fn);
      assert.deepEqual(await registry.list('function', 'default'), [fn]);
    });

    test('changing an item after writing or reading it does not change the stored item', async (registry) => {
      const item = makeItem('eventtype', 'space-a', 'first', 'v1');
      await registry.create('eventtype', item);
      item.metadata = { note: 'changed by the caller' };
      const read = await registry.get('eventtype', 'space-a', 'first');
      assert.ok(read);
      read.authorizerId = 'changed by the reader';
      assert.deepEqual(await registry.get('eventtype', 'space-a', 'first'), makeItem('eventtype', 'space-a', 'first'));
    });

    test('two concurrent creates of one item: exactly one succeeds', async (registry) => {
      const results = await Promise.allSettled([
        registry.create('function', makeItem('function', 'space-a', 'race', 'left')),
        registry.create('function', makeItem('function', 'space-a', 'race', 'right')),
      ]);
      const fulfilled = results.filter((result) => result.status === 'fulfilled');
      const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      assert.equal(fulfilled.length, 1);
      assert.equal(rejected.length, 1);
      assert.ok(rejected[0] instanceof ItemExistsError);
      const winner = results[0]?.status === 'fulfilled' ? 'left' : 'right';
      assert.deepEqual(
        await registry.get('function', 'space-a', 'race'),
        makeItem('function', 'space-a', 'race', winner),
      );
    });

    describe('references', () => {
      const requiresF = { requires: [{ kind: 'function', id: 'f' }] } as const;
      const subscriptionOf = (id: string, functionId: string) => ({
        ...makeItem('subscription', 'space-a', id),
        functionId,
      });

      function rejectsMissing(promise: Promise<unknown>, kind: Kind, space: string, id: string): Promise<void> {
        return assert.rejects(promise, (error) => {
          assert.ok(error instanceof ReferenceMissingError, `expected ReferenceMissingError, got ${String(error)}`);
          assert.deepEqual([error.kind, error.space, error.id], [kind, space, id]);
          assert.equal(error.message, `${kind} ${space}/${id} does not exist`);
          return true;
        });
      }

      test('create and put with requires write when the named items exist in the space', async (registry) => {
        await registry.create('function', makeItem('function', 'space-a', 'f'));
        await registry.create('eventtype', makeItem('eventtype', 'space-a', 'user.created'));
        const requires = [
          { kind: 'function', id: 'f' },
          { kind: 'eventtype', id: 'user.created' },
        ] as const;
        await registry.create('subscription', subscriptionOf('s', 'f'), { requires });
        const updated = { ...subscriptionOf('s', 'f'), metadata: { note: 'v2' } };
        await registry.put('subscription', updated, { requires });
        assert.deepEqual(await registry.get('subscription', 'space-a', 's'), updated);
      });

      test('create and put with a missing required item reject, name the first one missing, and write nothing', async (registry) => {
        await registry.create('function', makeItem('function', 'space-a', 'f'));
        await registry.create('function', makeItem('function', 'space-b', 'g'));
        const recorder = new ChangeRecorder(registry);
        const before = await registry.snapshot();
        const requires = [
          { kind: 'function', id: 'f' },
          { kind: 'function', id: 'g' }, // exists, but in another space
          { kind: 'eventtype', id: 'missing' },
        ] as const;
        await rejectsMissing(registry.create('subscription', subscriptionOf('s', 'f'), { requires }), 'function', 'space-a', 'g');
        await rejectsMissing(
          registry.put('subscription', subscriptionOf('s', 'f'), { requires: [requires[0], requires[2]] }),
          'eventtype',
          'space-a',
          'missing',
        );
        const stored = makeItem('cors', 'space-a', 'c');
        await registry.create('cors', stored);
        await rejectsMissing(
          registry.put('cors', { ...stored, allowCredentials: true }, { requires: [{ kind: 'cors', id: 'other' }] }),
          'cors',
          'space-a',
          'other',
        );
        assert.equal(await registry.get('subscription', 'space-a', 's'), undefined);
        assert.deepEqual(await registry.get('cors', 'space-a', 'c'), stored);
        // Only the cors create was a change.
        const [change] = await recorder.waitFor(1);
        assert.equal(change?.id, 'c');
        await sleep(50);
        assert.equal(recorder.changes.length, 1);
        assert.deepEqual(sortedSnapshotItems(await registry.snapshot()), sortedSnapshotItems({ ...before, cors: [stored] }));
      });

      test('a create of an existing item with a missing required item rejects with ItemExistsError', async (registry) => {
        const original = subscriptionOf('s', 'f');
        await registry.create('subscription', original);
        await assert.rejects(registry.create('subscription', subscriptionOf('s', 'gone'), requiresF), ItemExistsError);
        assert.deepEqual(await registry.get('subscription', 'space-a', 's'), original);
      });

      const functionRules: readonly ReferenceRule[] = [
        { kind: 'subscription', references: (s) => s.functionId === 'f' },
        { kind: 'eventtype', references: (t) => t.authorizerId === 'f' },
      ];

      test('deleteUnlessReferenced reports the first reference by rule, then deletes once none is left', async (registry) => {
        await registry.create('function', makeItem('function', 'space-a', 'f'));
        const guarded = { ...makeItem('eventtype', 'space-a', 'guarded'), authorizerId: 'f' };
        await registry.create('eventtype', guarded);
        await registry.create('subscription', subscriptionOf('s1', 'f'), requiresF);
        await registry.create('subscription', subscriptionOf('s2', 'f'), requiresF);
        await registry.create('subscription', subscriptionOf('s3', 'other'));

        // Within a rule, the first match in list order (descending ids).
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', functionRules), {
          outcome: 'referenced',
          kind: 'subscription',
          item: subscriptionOf('s2', 'f'),
        });
        await registry.delete('subscription', 'space-a', 's1');
        await registry.delete('subscription', 'space-a', 's2');
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', functionRules), {
          outcome: 'referenced',
          kind: 'eventtype',
          item: guarded,
        });
        assert.ok(await registry.get('function', 'space-a', 'f'), 'a refused delete keeps the item');

        await registry.put('eventtype', makeItem('eventtype', 'space-a', 'guarded', 'v2'));
        const recorder = new ChangeRecorder(registry);
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', functionRules), {
          outcome: 'deleted',
        });
        assert.equal(await registry.get('function', 'space-a', 'f'), undefined);
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', functionRules), {
          outcome: 'missing',
        });
        const [change] = await recorder.waitFor(1);
        assert.deepEqual(change && { kind: change.kind, space: change.space, id: change.id, item: change.item }, {
          kind: 'function',
          space: 'space-a',
          id: 'f',
          item: undefined,
        });
        await sleep(50);
        assert.equal(recorder.changes.length, 1, 'a missing item is no change');
        await rejectsMissing(registry.create('subscription', subscriptionOf('s4', 'f'), requiresF), 'function', 'space-a', 'f');
      });

      test('deleteUnlessReferenced counts references in the item\'s space only, and before the item\'s existence', async (registry) => {
        await registry.create('subscription', { ...subscriptionOf('s', 'f'), space: 'space-b' });
        await registry.create('function', makeItem('function', 'space-a', 'f'));
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', functionRules), {
          outcome: 'deleted',
        });
        await registry.create('subscription', subscriptionOf('s', 'f'));
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', functionRules), {
          outcome: 'referenced',
          kind: 'subscription',
          item: subscriptionOf('s', 'f'),
        });
        assert.deepEqual(await registry.deleteUnlessReferenced('function', 'space-a', 'f', []), { outcome: 'missing' });
      });

      test('a referring create racing deleteUnlessReferenced: one of them wins, no reference is left dangling', async (registry) => {
        for (let round = 0; round < 6; round++) {
          const functionId = `f${round}`;
          await registry.create('function', makeItem('function', 'space-a', functionId));
          const [created, deleted] = await Promise.allSettled([
            // A head start for either side, so that both orders happen.
            sleep(round % 2 === 0 ? 0 : 20).then(() =>
              registry.create('subscription', subscriptionOf(`s${round}`, functionId), {
                requires: [{ kind: 'function', id: functionId }],
              }),
            ),
            sleep(round % 2 === 0 ? 20 : 0).then(() =>
              registry.deleteUnlessReferenced('function', 'space-a', functionId, [
                { kind: 'subscription', references: (s) => s.functionId === functionId },
              ]),
            ),
          ]);
          assert.equal(deleted.status, 'fulfilled');
          const stored = await registry.get('subscription', 'space-a', `s${round}`);
          const functionLeft = await registry.get('function', 'space-a', functionId);
          if (deleted.value.outcome === 'deleted') {
            assert.ok(created.status === 'rejected' && created.reason instanceof ReferenceMissingError);
            assert.equal(stored, undefined);
            assert.equal(functionLeft, undefined);
          } else {
            assert.equal(deleted.value.outcome, 'referenced');
            assert.equal(created.status, 'fulfilled');
            assert.ok(stored && functionLeft);
          }
        }
      });
    });

    test('a synchronous change feed has told every listener of a write when the write resolves', async (registry) => {
      if (registry.changeFeed !== 'synchronous') {
        assert.equal(registry.changeFeed, 'eventual');
        return;
      }
      const seen: string[] = [];
      registry.onChange((change) => seen.push(`${change.kind}/${change.id}/${change.item ? 'written' : 'deleted'}`));
      await registry.create('function', makeItem('function', 'space-a', 'f'));
      assert.deepEqual(seen, ['function/f/written']);
      await registry.put('function', makeItem('function', 'space-a', 'f', 'v2'));
      assert.equal(seen.length, 2);
      await registry.delete('function', 'space-a', 'f');
      assert.equal(seen.length, 3);
      await registry.create('function', makeItem('function', 'space-a', 'f'));
      await registry.deleteUnlessReferenced('function', 'space-a', 'f', []);
      assert.deepEqual(seen.slice(3), ['function/f/written', 'function/f/deleted']);
    });

    describe('snapshot', () => {
      test('snapshot of an empty registry has no items', async (registry) => {
        const snapshot = await registry.snapshot();
        assert.equal(typeof snapshot.version, 'number');
        const { version: _version, ...items } = snapshot;
        assert.deepEqual(items, { eventtype: [], function: [], subscription: [], cors: [] });
      });

      test('snapshot holds every item of every kind and space', async (registry) => {
        const recorder = new ChangeRecorder(registry);
        let writes = 0;
        for (const space of ['space-b', 'space-a']) {
          for (const kind of KINDS) {
            await registry.create(kind, makeItem(kind, space, 'one'));
            await registry.create(kind, makeItem(kind, space, 'two'));
            writes += 2;
          }
        }
        await registry.put('cors', makeItem('cors', 'space-a', 'two', 'v2'));
        await registry.delete('function', 'space-b', 'one');
        writes += 2;
        const changes = await recorder.waitFor(writes);

        const snapshot = await registry.snapshot();
        assert.equal(snapshot.version, changes.at(-1)?.version);
        const all = (kind: Kind) => [
          makeItem(kind, 'space-a', 'one'),
          makeItem(kind, 'space-a', 'two'),
          makeItem(kind, 'space-b', 'one'),
          makeItem(kind, 'space-b', 'two'),
        ];
        assert.deepEqual(sortedSnapshotItems(snapshot), {
          eventtype: all('eventtype'),
          function: [
            makeItem('function', 'space-a', 'one'),
            makeItem('function', 'space-a', 'two'),
            makeItem('function', 'space-b', 'two'),
          ],
          subscription: all('subscription'),
          cors: [
            makeItem('cors', 'space-a', 'one'),
            makeItem('cors', 'space-a', 'two', 'v2'),
            makeItem('cors', 'space-b', 'one'),
            makeItem('cors', 'space-b', 'two'),
          ],
        });
      });

      test('snapshot version grows with every create, put and delete', async (registry) => {
        const recorder = new ChangeRecorder(registry);
        const versions = [(await registry.snapshot()).version];
        const writes: (() => Promise<unknown>)[] = [
          () => registry.create('eventtype', makeItem('eventtype', 'space-a', 'first')),
          () => registry.put('eventtype', makeItem('eventtype', 'space-a', 'first', 'v2')),
          () => registry.put('function', makeItem('function', 'space-b', 'other')),
          () => registry.delete('eventtype', 'space-a', 'first'),
        ];
        for (const [index, write] of writes.entries()) {
          await write();
          await recorder.waitFor(index + 1);
          versions.push((await registry.snapshot()).version);
        }
        for (let i = 1; i < versions.length; i++) {
          assert.ok(versions[i]! > versions[i - 1]!, `versions must grow: ${versions.join(', ')}`);
        }
      });

      test('a failed create and a delete of a missing item leave the snapshot unchanged', async (registry) => {
        const recorder = new ChangeRecorder(registry);
        await registry.create('eventtype', makeItem('eventtype', 'space-a', 'first'));
        await recorder.waitFor(1);
        const before = await registry.snapshot();
        await assert.rejects(
          registry.create('eventtype', makeItem('eventtype', 'space-a', 'first', 'v2')),
          ItemExistsError,
        );
        assert.equal(await registry.delete('function', 'space-a', 'missing'), false);
        assert.deepEqual(await registry.snapshot(), before);
      });
    });

    describe('change feed', () => {
      test('reports create, put and delete in commit order with their contents', async (registry) => {
        const recorder = new ChangeRecorder(registry);
        const created = makeItem('subscription', 'space-a', 'sub');
        const replaced = makeItem('subscription', 'space-a', 'sub', 'v2');
        const cors = makeItem('cors', 'space-b', 'GET%2F');
        await registry.create('subscription', created);
        await registry.put('subscription', replaced);
        await registry.put('cors', cors);
        await registry.delete('subscription', 'space-a', 'sub');

        const changes = await recorder.waitFor(4);
        const versions = changes.map((change) => change.version);
        for (let i = 1; i < versions.length; i++) {
          assert.ok(versions[i]! > versions[i - 1]!, `change versions must grow: ${versions.join(', ')}`);
        }
        assert.deepEqual(changes, [
          { kind: 'subscription', space: 'space-a', id: 'sub', item: created, version: versions[0] },
          { kind: 'subscription', space: 'space-a', id: 'sub', item: replaced, version: versions[1] },
          { kind: 'cors', space: 'space-b', id: 'GET%2F', item: cors, version: versions[2] },
          { kind: 'subscription', space: 'space-a', id: 'sub', version: versions[3] },
        ]);
        assert.equal((await registry.snapshot()).version, versions[3]);
      });

      test('a failed create and a delete of a missing item report no change', async (registry) => {
        await registry.create('function', makeItem('function', 'space-a', 'first'));
        const recorder = new ChangeRecorder(registry);
        await assert.rejects(
          registry.create('function', makeItem('function', 'space-a', 'first', 'v2')),
          ItemExistsError,
        );
        assert.equal(await registry.delete('function', 'space-a', 'missing'), false);
        const marker = makeItem('eventtype', 'space-a', 'marker');
        await registry.create('eventtype', marker);
        const [change] = await recorder.waitFor(1);
        assert.deepEqual(change && { kind: change.kind, id: change.id, item: change.item }, {
          kind: 'eventtype',
          id: 'marker',
          item: marker,
        });
        await sleep(50);
        assert.equal(recorder.changes.length, 1);
      });

      test('unsubscribe stops the feed for that listener only', async (registry) => {
        const leaving = new ChangeRecorder(registry);
        const staying = new ChangeRecorder(registry);
        await registry.create('eventtype', makeItem('eventtype', 'space-a', 'first'));
        await leaving.waitFor(1);
        await staying.waitFor(1);

        leaving.unsubscribe();
        leaving.unsubscribe();
        await registry.create('eventtype', makeItem('eventtype', 'space-a', 'second'));
        await registry.delete('eventtype', 'space-a', 'first');
        const changes = await staying.waitFor(3);
        assert.deepEqual(
          changes.map((change) => [change.id, change.item === undefined ? 'deleted' : 'written']),
          [
            ['first', 'written'],
            ['second', 'written'],
            ['first', 'deleted'],
          ],
        );
        assert.equal(leaving.changes.length, 1);
      });

      test('listeners that throw break neither the write nor the other listeners', async (registry) => {
        let thrown = 0;
        const throwing = () => {
          thrown++;
          throw new Error('listener failure');
        };
        registry.onChange(throwing);
        const recorder = new ChangeRecorder(registry);
        registry.onChange(throwing);

        await registry.create('function', makeItem('function', 'space-a', 'first'));
        await registry.delete('function', 'space-a', 'first');
        const changes = await recorder.waitFor(2);
        assert.deepEqual(
          changes.map((change) => [change.id, change.item === undefined]),
          [
            ['first', false],
            ['first', true],
          ],
        );
        assert.equal(thrown, 4);
        assert.equal(await registry.get('function', 'space-a', 'first'), undefined);
      });

      test('every listener sees changes in commit order, even when a listener writes', async (registry) => {
        const writer = registry.onChange((change) => {
          if (change.id === 'first') {
            registry.put('eventtype', makeItem('eventtype', 'space-a', 'second')).catch(() => undefined);
          }
        });
        const early = new ChangeRecorder(registry);
        const late = new ChangeRecorder(registry);
        await registry.create('eventtype', makeItem('eventtype', 'space-a', 'first'));
        const ids = async (recorder: ChangeRecorder) => (await recorder.waitFor(2)).map((change) => change.id);
        assert.deepEqual(await ids(early), ['first', 'second']);
        assert.deepEqual(await ids(late), ['first', 'second']);
        writer();
      });
    });

    describe('connections', () => {
      const connection = (space: string, connectionId: string, queueName = 'q1'): Connection => ({
        space,
        connectionId,
        target: '',
        eventType: 'order.created',
        type: 'awssqs',
        source: { queueUrl: `http://127.0.0.1:9324/000000000000/${queueName}`, region: 'us-east-1', awsSecretAccessKey: 'secret' },
        metadata: { service: 'shop' },
      });

      test('create, get, put and delete a connection', async (registry) => {
        const first = connection('space-a', 'first');
        await registry.createConnection(first);
        assert.deepEqual(await registry.getConnection('space-a', 'first'), first);
        assert.equal(await registry.getConnection('space-b', 'first'), undefined);
        const changed = connection('space-a', 'first', 'q2');
        await registry.putConnection(changed);
        assert.deepEqual(await registry.getConnection('space-a', 'first'), changed);
        assert.equal(await registry.deleteConnection('space-a', 'first'), true);
        assert.equal(await registry.deleteConnection('space-a', 'first'), false);
        assert.equal(await registry.getConnection('space-a', 'first'), undefined);
      });

      test('create of an existing connection throws ConnectionExistsError and keeps the stored one', async (registry) => {
        const first = connection('space-a', 'first');
        await registry.createConnection(first);
        await assert.rejects(registry.createConnection(connection('space-a', 'first', 'other')), (error: unknown) => {
          assert.ok(error instanceof ConnectionExistsError);
          assert.equal(error.space, 'space-a');
          assert.equal(error.connectionId, 'first');
          return true;
        });
        assert.deepEqual(await registry.getConnection('space-a', 'first'), first);
      });

      test('listConnections is per space in descending id order; listAllConnections spans spaces', async (registry) => {
        for (const [space, id] of [['space-a', 'a1'], ['space-a', 'b2'], ['space-b', 'c3'], ['space-a', 'B0']] as const) {
          await registry.createConnection(connection(space, id));
        }
        assert.deepEqual((await registry.listConnections('space-a')).map((c) => c.connectionId), ['b2', 'a1', 'B0']);
        assert.deepEqual(await registry.listConnections('space-c'), []);
        assert.deepEqual(
          (await registry.listAllConnections()).map((c) => `${c.space}/${c.connectionId}`),
          ['space-a/b2', 'space-a/a1', 'space-a/B0', 'space-b/c3'],
        );
      });

      test('connections are neither config items nor changes: same ids as items do not collide', async (registry) => {
        const recorder = new ChangeRecorder(registry);
        await registry.createConnection(connection('space-a', 'first'));
        await registry.create('function', makeItem('function', 'space-a', 'first'));
        const snapshot = await registry.snapshot();
        assert.deepEqual(Object.keys(snapshot).sort(), ['cors', 'eventtype', 'function', 'subscription', 'version']);
        assert.equal(snapshot.function.length, 1);
        const changes = await recorder.waitFor(1);
        await sleep(300);
        assert.deepEqual(recorder.changes.map((c) => `${c.kind}/${c.id}`), ['function/first']);
        assert.equal(changes[0]?.kind, 'function');
        recorder.unsubscribe();
      });
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFilter, FILTER_LIMITS, validateFilter } from '../../../lib/core/filter/index.js';
import { deliveredEvent, INVALID_CASES, MATCH_CASES } from './conformance-cases.js';
import { referenceMatches } from './reference-matcher.js';

function compile(pattern: unknown): CompiledFilter {
  const compiled = CompiledFilter.compile(pattern);
  if (!compiled.ok) throw new Error(compiled.error.message);
  return compiled.filter;
}

describe('Conformance table: the matcher', () => {
  it('holds at least 150 cases, every one citing an AWS EventBridge page', () => {
    assert.ok(MATCH_CASES.length + INVALID_CASES.length >= 150, `${MATCH_CASES.length} + ${INVALID_CASES.length} cases`);
    for (const c of [...MATCH_CASES, ...INVALID_CASES]) assert.match(c.source, /^https:\/\/docs\.aws\.amazon\.com\/eventbridge\//, c.name);
    assert.ok(MATCH_CASES.some((c) => c.match) && MATCH_CASES.some((c) => !c.match));
  });

  for (const c of MATCH_CASES) {
    it(`${c.match ? 'matches' : 'does not match'}: ${c.name} (${c.source.split('/').pop()})`, () => {
      const event = deliveredEvent(c.event);
      const filter = compile(c.pattern);

      assert.equal(filter.matches(event), c.match);
      // The slow reference matcher agrees with the table too, so the table checks both.
      assert.equal(referenceMatches(c.pattern, event), c.match, 'reference matcher');
      const explanation = filter.explain(event);
      assert.equal(explanation.match, c.match, 'explain');
      if (!explanation.match) assert.ok(explanation.mismatches.length > 0, 'a failed match names at least one field');
    });
  }

  for (const c of INVALID_CASES) {
    it(`refuses: ${c.name}, naming "${c.path}"`, () => {
      const compiled = CompiledFilter.compile(c.pattern);

      assert.equal(compiled.ok, false);
      if (compiled.ok) return;
      assert.equal(compiled.error.path, c.path);
      assert.equal(compiled.error.code, c.code);
      if (c.path !== '') assert.ok(compiled.error.message.includes(`"${c.path}"`), compiled.error.message);
      if (c.code !== 'invalid') assert.ok(compiled.error.message.includes(String(compiled.error.limit)), compiled.error.message);
      assert.deepEqual(validateFilter(c.pattern), compiled.error);
    });
  }
});

describe('Method: CompiledFilter.explain', () => {
  const pattern = {
    type: ['order.created'],
    data: { amount: [{ numeric: ['>', 100] }], currency: ['EUR', 'USD'], customer: { tier: ['gold'] } },
  };
  const event = { specversion: '1.0', id: '1', source: 's', type: 'order.created', data: { amount: 42, currency: 'GBP', customer: {} } };

  it('lists every failing field with the expected values and the actual value', () => {
    const explanation = compile(pattern).explain(event);

    assert.deepEqual(explanation, {
      match: false,
      mismatches: [
        { path: 'data.amount', expected: [{ numeric: ['>', 100] }], actual: 42 },
        { path: 'data.currency', expected: ['EUR', 'USD'], actual: 'GBP' },
        { path: 'data.customer.tier', expected: ['gold'] },
      ],
    });
  });

  it('answers match true, and nothing else, for a matching event', () => {
    const explanation = compile(pattern).explain({ ...event, data: { amount: 101, currency: 'EUR', customer: { tier: 'gold' } } });

    assert.deepEqual(explanation, { match: true });
  });

  it('for a $or, lists the branch that came closest', () => {
    const filter = compile({ $or: [{ data: { a: ['1'], b: ['2'] } }, { data: { c: ['3'] } }] });

    const explanation = filter.explain({ data: { a: '1', b: 'x', c: 'y' } });

    assert.deepEqual(explanation, { match: false, mismatches: [{ path: 'data.b', expected: ['2'], actual: 'x' }] });
  });

  it('for an array of objects, lists the mismatches of the closest element', () => {
    const filter = compile({ data: { items: { sku: ['A'], qty: [{ numeric: ['>=', 2] }] } } });

    const explanation = filter.explain({ data: { items: [{ sku: 'B', qty: 1 }, { sku: 'A', qty: 1 }] } });

    assert.deepEqual(explanation, { match: false, mismatches: [{ path: 'data.items.qty', expected: [{ numeric: ['>=', 2] }], actual: 1 }] });
  });

  it('shows an array value whole as the actual value', () => {
    const explanation = compile({ data: { tags: ['vip'] } }).explain({ data: { tags: ['new', 'trial'] } });

    assert.deepEqual(explanation, { match: false, mismatches: [{ path: 'data.tags', expected: ['vip'], actual: ['new', 'trial'] }] });
  });
});

describe('Function: CompiledFilter.compile', () => {
  it('keeps the pattern as given', () => {
    const pattern = { data: { a: [{ prefix: 'x' }] } };

    assert.deepEqual(compile(pattern).pattern, pattern);
  });

  it('counts bytes in UTF-8: 4,096 is accepted, 4,097 refused', () => {
    const wrapper = JSON.stringify({ a: [''] }).length; // {"a":[""]}
    const fits = 'é'.repeat((FILTER_LIMITS.maxBytes - wrapper) / 2);

    assert.equal(CompiledFilter.compile({ a: [fits] }).ok, true);
    const over = CompiledFilter.compile({ a: [`${fits}x`] });
    assert.equal(over.ok, false);
    if (!over.ok) assert.equal(over.error.message, 'invalid filter: the pattern is 4097 bytes, over the limit of 4096 bytes');
  });

  it('never throws on hostile input', () => {
    for (const input of [undefined, null, 1, 'x', [], () => 0, { a: [undefined] }, { a: [Symbol('s')] }, { a: [{ numeric: ['>', Infinity] }] }]) {
      const compiled = CompiledFilter.compile(input);
      assert.equal(compiled.ok, false, String(input));
    }
  });
});

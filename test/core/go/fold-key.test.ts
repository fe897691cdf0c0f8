import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { foldJsonKey, jsonKeyMatches } from '../../../lib/core/go/index.js';

describe('foldJsonKey (encoding/json key matching)', () => {
  it('matches ASCII letters in either case', () => {
    assert.equal(foldJsonKey('StatusCode'), foldJsonKey('statusCODE'));
    assert.ok(jsonKeyMatches('EVENTTYPE', 'eventType'));
  });

  it('folds the long s and the Kelvin sign as Go does', () => {
    assert.ok(jsonKeyMatches('\u017fource', 'source'));
    assert.ok(jsonKeyMatches('\u212aey', 'key'));
  });

  it('matches no other non-ASCII character to an ASCII name', () => {
    assert.ok(!jsonKeyMatches('\u0130d', 'id'));
    assert.ok(!jsonKeyMatches('\u00dfs', 'sss'));
    assert.ok(!jsonKeyMatches('bod\u00ff', 'body'));
  });
});

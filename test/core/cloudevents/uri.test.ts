import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isAbsoluteUri, isUriReference } from '../../../lib/core/cloudevents/uri.js';
import { isGoValidatorUri } from '../../../lib/core/go/index.js';

describe('isGoValidatorUri (0.1 source, validator v9 uri)', () => {
  it('accepts absolute URIs with a scheme and absolute paths', () => {
    for (const value of ['https://example.com', 'http://example.com', 'urn:event:from:myapi', '/services/users', '/', 'mailto:a@b.c', 'https://user:pw@host:8080/p?q=1', 'http://[::1]:80/', 'https://example.com/#frag', '*', '//no-scheme']) {
      assert.ok(isGoValidatorUri(value), value);
    }
  });

  it('rejects relative references, bad hosts and bad escapes', () => {
    for (const value of ['NOT URI', 'myapp', '', '#fragment-only', 'a/b', ':x', 'http://exa mple.com', 'http://host:port/', 'http://%41/', '/a%zz', 'http://[::1/', 'http://host/\u0001', '1http://x']) {
      assert.ok(!isGoValidatorUri(value), value);
    }
  });

  it('ignores a #fragment when validating', () => {
    assert.ok(isGoValidatorUri('/path#not a valid fragment %zz'));
  });
});

describe('isUriReference and isAbsoluteUri (CloudEvents 1.0)', () => {
  it('accepts URI-references', () => {
    for (const value of ['https://example.com/a', '/relative', 'relative/path', 'urn:x', '#frag', '?q', 'a%20b', 'café']) {
      assert.ok(isUriReference(value), value);
    }
  });

  it('rejects what is not a URI-reference', () => {
    for (const value of ['', 'NOT URI', 'a"b', 'a%zz', 'a#b#c', ':x', 'a_b:c', '<x>']) {
      assert.ok(!isUriReference(value), value);
    }
  });

  it('requires a scheme for an absolute URI', () => {
    assert.ok(isAbsoluteUri('https://example.com/schema.json'));
    assert.ok(isAbsoluteUri('urn:schema'));
    assert.ok(!isAbsoluteUri('/schema.json'));
    assert.ok(!isAbsoluteUri(''));
  });
});

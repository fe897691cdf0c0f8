import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileCors, evaluateActual, evaluatePreflight } from '../../../lib/core/cors/index.js';
import { canonicalHeaderKey } from '../../../lib/core/go/index.js';
import type { CorsPolicy } from '../../../lib/core/cors/index.js';

const VARY_ONLY: Array<[string, string]> = [
  ['Vary', 'Origin'],
  ['Vary', 'Access-Control-Request-Method'],
  ['Vary', 'Access-Control-Request-Headers'],
];

function policy(overrides: Partial<CorsPolicy> = {}): CorsPolicy {
  return {
    allowedOrigins: ['http://example.com'],
    allowedMethods: ['PUT'],
    allowedHeaders: ['*'],
    allowCredentials: false,
    ...overrides,
  };
}

describe('Function: evaluatePreflight', () => {
  it('answers the router_test preflight with exactly the origin, method and canonical header (conformance item 4)', () => {
    const cors = compileCors(policy());

    const headers = evaluatePreflight(cors, {
      origin: 'http://example.com',
      requestMethod: 'PUT',
      requestHeaders: 'x-api-key',
    });

    assert.deepEqual(headers, [
      ...VARY_ONLY,
      ['Access-Control-Allow-Origin', 'http://example.com'],
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', 'X-Api-Key'],
    ]);
    assert.equal(
      headers.some(([name]) => name === 'Access-Control-Allow-Credentials'),
      false,
    );
  });

  it('stops after the Vary headers when the Origin header is missing or empty', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluatePreflight(cors, { requestMethod: 'PUT' }), VARY_ONLY);
    assert.deepEqual(evaluatePreflight(cors, { origin: '', requestMethod: 'PUT' }), VARY_ONLY);
  });

  it('stops after the Vary headers when the origin is not allowed', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluatePreflight(cors, { origin: 'http://evil.com', requestMethod: 'PUT' }), VARY_ONLY);
  });

  it('stops after the Vary headers when the requested method is not allowed', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluatePreflight(cors, { origin: 'http://example.com', requestMethod: 'DELETE' }), VARY_ONLY);
  });

  it('stops after the Vary headers when one requested header is not allowed', () => {
    const cors = compileCors(policy({ allowedHeaders: ['X-Api-Key'] }));

    const headers = evaluatePreflight(cors, {
      origin: 'http://example.com',
      requestMethod: 'PUT',
      requestHeaders: 'x-api-key, content-type',
    });

    assert.deepEqual(headers, VARY_ONLY);
  });

  it('always allows OPTIONS as the requested method and echoes it upper-cased', () => {
    const cors = compileCors(policy({ allowedMethods: ['GET'] }));

    const headers = evaluatePreflight(cors, { origin: 'http://example.com', requestMethod: 'options' });

    assert.deepEqual(headers, [
      ...VARY_ONLY,
      ['Access-Control-Allow-Origin', 'http://example.com'],
      ['Access-Control-Allow-Methods', 'OPTIONS'],
    ]);
  });

  it('matches the requested method case-insensitively and answers it upper-cased', () => {
    const cors = compileCors(policy({ allowedMethods: ['put'] }));

    const headers = evaluatePreflight(cors, { origin: 'http://example.com', requestMethod: 'Put' });

    assert.deepEqual(headers.at(-1), ['Access-Control-Allow-Methods', 'PUT']);
  });

  it('allows Origin implicitly when a custom header list is given', () => {
    const cors = compileCors(policy({ allowedHeaders: ['x-api-key'] }));

    const headers = evaluatePreflight(cors, {
      origin: 'http://example.com',
      requestMethod: 'PUT',
      requestHeaders: 'origin,X-API-KEY',
    });

    assert.deepEqual(headers.at(-1), ['Access-Control-Allow-Headers', 'Origin, X-Api-Key']);
  });

  it('splits requested headers on commas and spaces and joins the canonical names with ", "', () => {
    const cors = compileCors(policy({ allowedHeaders: ['X-A', 'x-b', 'X-C'] }));

    const headers = evaluatePreflight(cors, {
      origin: 'http://example.com',
      requestMethod: 'PUT',
      requestHeaders: ' x-a,,X-B  x-c , ',
    });

    assert.deepEqual(headers.at(-1), ['Access-Control-Allow-Headers', 'X-A, X-B, X-C']);
  });

  it('lets "*" allow any requested header', () => {
    const cors = compileCors(policy({ allowedHeaders: ['Content-Type', '*'] }));

    const headers = evaluatePreflight(cors, {
      origin: 'http://example.com',
      requestMethod: 'PUT',
      requestHeaders: 'x-anything-at-all',
    });

    assert.deepEqual(headers.at(-1), ['Access-Control-Allow-Headers', 'X-Anything-At-All']);
  });

  it('omits Access-Control-Allow-Headers when no header (or only separators) was requested', () => {
    const cors = compileCors(policy({ allowedHeaders: ['X-Only'] }));

    for (const requestHeaders of [undefined, '', ' , ,']) {
      const headers = evaluatePreflight(cors, { origin: 'http://example.com', requestMethod: 'PUT', requestHeaders });
      assert.deepEqual(headers, [
        ...VARY_ONLY,
        ['Access-Control-Allow-Origin', 'http://example.com'],
        ['Access-Control-Allow-Methods', 'PUT'],
      ]);
    }
  });

  it('matches origins case-insensitively but echoes the origin exactly as the client sent it', () => {
    const cors = compileCors(policy({ allowedOrigins: ['HTTP://Example.COM'] }));

    const headers = evaluatePreflight(cors, { origin: 'http://EXAMPLE.com', requestMethod: 'PUT' });

    assert.deepEqual(headers[3], ['Access-Control-Allow-Origin', 'http://EXAMPLE.com']);
  });

  it('answers "*" for any origin when allowedOrigins contains "*" and credentials are off', () => {
    const cors = compileCors(policy({ allowedOrigins: ['http://a.com', '*'] }));

    const headers = evaluatePreflight(cors, { origin: 'http://anything.org', requestMethod: 'PUT' });

    assert.deepEqual(headers, [
      ...VARY_ONLY,
      ['Access-Control-Allow-Origin', '*'],
      ['Access-Control-Allow-Methods', 'PUT'],
    ]);
  });

  it('echoes the origin and adds Allow-Credentials when allowedOrigins contains "*" and credentials are on', () => {
    const cors = compileCors(policy({ allowedOrigins: ['*'], allowCredentials: true }));

    const headers = evaluatePreflight(cors, {
      origin: 'http://anything.org',
      requestMethod: 'PUT',
      requestHeaders: 'x-a',
    });

    assert.deepEqual(headers, [
      ...VARY_ONLY,
      ['Access-Control-Allow-Origin', 'http://anything.org'],
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', 'X-A'],
      ['Access-Control-Allow-Credentials', 'true'],
    ]);
  });
});

describe('Origin patterns with one "*"', () => {
  const cors = compileCors(policy({ allowedOrigins: ['http://*.Example.com'] }));
  const allowed = (origin: string): boolean =>
    evaluatePreflight(cors, { origin, requestMethod: 'PUT' }).length > VARY_ONLY.length;

  it('allow an origin that starts with the part before the star and ends with the part after it', () => {
    assert.equal(allowed('http://api.example.com'), true);
    assert.equal(allowed('HTTP://A.B.EXAMPLE.COM'), true);
  });

  it('refuse an origin with the wrong prefix or suffix', () => {
    assert.equal(allowed('https://api.example.com'), false);
    assert.equal(allowed('http://api.example.org'), false);
    assert.equal(allowed('http://example.com'), false);
  });

  it('refuse an origin shorter than prefix and suffix together, even when both overlap it', () => {
    const overlapping = compileCors(policy({ allowedOrigins: ['http://a*a'] }));
    const result = (origin: string) => evaluatePreflight(overlapping, { origin, requestMethod: 'PUT' }).length;

    assert.equal(result('http://a'), VARY_ONLY.length);
    assert.equal(result('http://aa'), VARY_ONLY.length + 2);
  });

  it('treat an exact entry and a pattern in the same list independently', () => {
    const mixed = compileCors(policy({ allowedOrigins: ['http://exact.com', 'https://*.x.io'] }));
    const result = (origin: string) => evaluatePreflight(mixed, { origin, requestMethod: 'PUT' }).length;

    assert.equal(result('http://exact.com'), VARY_ONLY.length + 2);
    assert.equal(result('https://a.x.io'), VARY_ONLY.length + 2);
    assert.equal(result('http://other.com'), VARY_ONLY.length);
  });
});

describe('Function: evaluateActual', () => {
  it('adds nothing at all, not even Vary, to an OPTIONS request', () => {
    const cors = compileCors(policy({ allowedOrigins: ['*'], allowedMethods: ['OPTIONS'] }));

    assert.deepEqual(evaluateActual(cors, { method: 'OPTIONS', origin: 'http://example.com' }), []);
  });

  it('adds only Vary: Origin when the Origin header is missing or empty', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluateActual(cors, { method: 'PUT' }), [['Vary', 'Origin']]);
    assert.deepEqual(evaluateActual(cors, { method: 'PUT', origin: '' }), [['Vary', 'Origin']]);
  });

  it('adds only Vary: Origin when the origin is not allowed', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluateActual(cors, { method: 'PUT', origin: 'http://evil.com' }), [['Vary', 'Origin']]);
  });

  it('adds only Vary: Origin when the method is not in allowedMethods', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluateActual(cors, { method: 'GET', origin: 'http://example.com' }), [['Vary', 'Origin']]);
  });

  it('adds Vary and the echoed origin for an allowed request, without Allow-Methods or Allow-Headers', () => {
    const cors = compileCors(policy());

    assert.deepEqual(evaluateActual(cors, { method: 'PUT', origin: 'http://Example.com' }), [
      ['Vary', 'Origin'],
      ['Access-Control-Allow-Origin', 'http://Example.com'],
    ]);
  });

  it('answers "*" for any origin when allowedOrigins contains "*" and credentials are off', () => {
    const cors = compileCors(policy({ allowedOrigins: ['*'] }));

    assert.deepEqual(evaluateActual(cors, { method: 'PUT', origin: 'http://x.org' }), [
      ['Vary', 'Origin'],
      ['Access-Control-Allow-Origin', '*'],
    ]);
  });

  it('echoes the origin and adds Allow-Credentials when credentials are on', () => {
    const cors = compileCors(policy({ allowedOrigins: ['*'], allowCredentials: true }));

    assert.deepEqual(evaluateActual(cors, { method: 'PUT', origin: 'http://x.org' }), [
      ['Vary', 'Origin'],
      ['Access-Control-Allow-Origin', 'http://x.org'],
      ['Access-Control-Allow-Credentials', 'true'],
    ]);
  });
});

describe('Function: compileCors', () => {
  it('normalises origins, methods and headers without touching the stored configuration', () => {
    const stored = Object.freeze({
      allowedOrigins: Object.freeze(['HTTP://A.com', 'http://*.B.com']) as string[],
      allowedMethods: Object.freeze(['get', 'Post']) as string[],
      allowedHeaders: Object.freeze(['x-api-key', 'CONTENT-TYPE']) as string[],
      allowCredentials: true,
    });

    const cors = compileCors(stored);

    assert.deepEqual([...cors.origins], ['http://a.com']);
    assert.deepEqual(cors.originPatterns, [{ prefix: 'http://', suffix: '.b.com' }]);
    assert.deepEqual([...cors.methods], ['GET', 'POST']);
    assert.deepEqual([...cors.headers], ['X-Api-Key', 'Content-Type', 'Origin']);
    assert.equal(cors.anyOrigin, false);
    assert.equal(cors.anyHeader, false);
    assert.equal(cors.allowOriginStar, false);
    assert.deepEqual(stored.allowedOrigins, ['HTTP://A.com', 'http://*.B.com']);
  });

  it('falls back to the rs/cors defaults for empty lists', () => {
    const cors = compileCors({ allowedOrigins: [], allowedMethods: [], allowedHeaders: [], allowCredentials: false });

    assert.equal(cors.anyOrigin, true);
    assert.deepEqual([...cors.methods], ['GET', 'POST', 'HEAD']);
    assert.deepEqual([...cors.headers], ['Origin', 'Accept', 'Content-Type']);
    assert.deepEqual(evaluateActual(cors, { method: 'DELETE', origin: 'http://x' }), [['Vary', 'Origin']]);
    assert.deepEqual(
      evaluatePreflight(cors, { origin: 'http://x', requestMethod: 'GET', requestHeaders: 'x-custom' }),
      VARY_ONLY,
    );
  });
});

describe('Function: canonicalHeaderKey', () => {
  it('upper-cases the first letter and each letter after a dash, lower-cases the rest', () => {
    assert.equal(canonicalHeaderKey('x-api-key'), 'X-Api-Key');
    assert.equal(canonicalHeaderKey('CONTENT-TYPE'), 'Content-Type');
    assert.equal(canonicalHeaderKey('x--b'), 'X--B');
    assert.equal(canonicalHeaderKey('x-1a'), 'X-1a');
    assert.equal(canonicalHeaderKey('x_api_key'), 'X_api_key');
    assert.equal(canonicalHeaderKey('-x'), '-X');
  });

  it('returns names that are not tokens unchanged, as Go does', () => {
    assert.equal(canonicalHeaderKey(''), '');
    assert.equal(canonicalHeaderKey('x api'), 'x api');
    assert.equal(canonicalHeaderKey('x:y'), 'x:y');
    assert.equal(canonicalHeaderKey('étag'), 'étag');
  });

  it('is idempotent and case-blind for any token', () => {
    const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
    fc.assert(
      fc.property(token, (name) => {
        const canonical = canonicalHeaderKey(name);
        assert.equal(canonicalHeaderKey(canonical), canonical);
        assert.equal(canonicalHeaderKey(name.toUpperCase()), canonical);
        assert.equal(canonical.toLowerCase(), name.toLowerCase());
      }),
    );
  });
});

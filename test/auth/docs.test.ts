import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseFunction, parseHttpAuth } from '../../lib/core/model/index.js';

const doc = readFileSync(new URL('../../docs/auth.md', import.meta.url), 'utf8');
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The JSON blocks of the doc, with a real key for the key placeholder and `x` for every other `…`. */
function jsonBlocks(): string[] {
  return [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .replace(/"private_key": "-----BEGIN PRIVATE KEY-----\\n…"/g, JSON.stringify({ private_key: PRIVATE_KEY }).slice(1, -1))
      .replace("{ …the service account's JSON key… }", JSON.stringify({ client_email: 'a@b', private_key: PRIVATE_KEY }))
      .replace(/whsec_…/g, 'whsec_dGVzdA==')
      .replace(/…/g, 'x'),
  );
}

describe('docs/auth.md', () => {
  it('has a recipe for each cloud, and every recipe is a function the config API accepts', () => {
    const recipes = jsonBlocks().filter((block) => block.includes('"functionId"'));
    assert.equal(recipes.length, 5);
    const types = recipes.map((text) => {
      const fn = parseFunction(text, { space: 'default' });
      assert.equal(fn.type, 'http');
      return fn.type === 'http' ? (fn.provider.auth?.type ?? 'headers') : '';
    });
    assert.deepEqual(types, ['googleIdToken', 'headers', 'oauth2', 'awsSigV4', 'basic']);
  });

  it('shows every auth type’s fields as the parser accepts them', () => {
    const fields = jsonBlocks().find((block) => block.includes('{"type": "basic"'))!;
    const auths = fields.split('\n\n').map((text) => JSON.parse(text) as unknown);
    assert.deepEqual(auths.map((auth) => parseHttpAuth(auth).type), ['basic', 'oauth2', 'googleIdToken', 'awsSigV4']);
  });
});

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AUTH_SECRET_MARKER,
  HttpAuthError,
  httpAuthJson,
  httpAuthSecrets,
  mergeAuthSecrets,
  parseHttpAuth,
} from '../../lib/core/model/auth.js';
import { renewAt } from '../../lib/invokers/http/auth/index.js';

const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const EC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function problems(raw: unknown): readonly string[] {
  try {
    parseHttpAuth(raw);
  } catch (error) {
    assert.ok(error instanceof HttpAuthError);
    return error.problems;
  }
  assert.fail('expected the auth to be refused');
}

describe('Function: parseHttpAuth', () => {
  it('accepts each type and keeps only what was given', () => {
    assert.deepEqual(parseHttpAuth({ type: 'basic', username: 'u', password: 'p' }), { type: 'basic', username: 'u', password: 'p' });
    assert.deepEqual(
      parseHttpAuth({ type: 'oauth2', tokenUrl: 'https://login.example/t', clientId: 'c', clientSecret: 's', clientAuth: 'post', extraParams: { resource: 'r' } }),
      { type: 'oauth2', tokenUrl: 'https://login.example/t', clientId: 'c', clientSecret: 's', clientAuth: 'post', extraParams: { resource: 'r' } },
    );
    assert.deepEqual(parseHttpAuth({ type: 'awsSigV4', service: 'lambda', region: 'eu-west-1' }), { type: 'awsSigV4', service: 'lambda', region: 'eu-west-1' });
    const google = parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: RSA_PEM, n: 1 } });
    assert.deepEqual(google, { type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: RSA_PEM } });
  });

  it('names every problem by its field', () => {
    assert.deepEqual(problems({ type: 'oauth2', tokenUrl: 'ftp://x/t', clientSecret: 5, clientAuth: 'jwt', extra: 1 }), [
      'provider.auth.extra: not a field of "oauth2" auth (fields: type, tokenUrl, clientId, clientSecret, clientAuth, scope, audience, extraParams)',
      'provider.auth.tokenUrl: must be an http or https URL',
      'provider.auth.clientId: required',
      'provider.auth.clientSecret: must be a string, not a number',
      'provider.auth.clientAuth: must be "basic" (client_secret_basic) or "post" (client_secret_post)',
    ]);
    assert.deepEqual(problems({ type: 'kerberos' }), ['provider.auth.type: must be one of "basic", "oauth2", "googleIdToken", "awsSigV4"']);
    assert.deepEqual(problems('basic'), ['provider.auth: must be an object, not a string']);
    assert.deepEqual(problems({ type: 'basic', username: 'a:b', password: 'x\ny' }), [
      'provider.auth.username: must not contain ":"',
      'provider.auth.password: contains a control character',
    ]);
    assert.deepEqual(problems({ type: 'awsSigV4', service: 'lambda', region: 'eu-west-1', awsAccessKeyId: 'AKID' }), [
      'provider.auth.awsSecretAccessKey: static keys need both awsAccessKeyId and awsSecretAccessKey',
    ]);
    assert.deepEqual(problems({ type: 'oauth2', tokenUrl: 'https://u:p@x/t', clientId: 'c', clientSecret: 's', extraParams: { client_secret: 'x' } }), [
      'provider.auth.tokenUrl: must not carry credentials (use clientId and clientSecret)',
      'provider.auth.extraParams.client_secret: is set by the gateway',
    ]);
  });

  it('refuses a service account key without a usable RSA private key', () => {
    assert.deepEqual(problems({ type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: 'nope' } }), [
      'provider.auth.serviceAccountKey.private_key: not a PEM private key',
    ]);
    assert.deepEqual(problems({ type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: EC_PEM } }), [
      'provider.auth.serviceAccountKey.private_key: must be an RSA key, not ec',
    ]);
    assert.deepEqual(problems({ type: 'googleIdToken', serviceAccountKey: '{}' }), [
      'provider.auth.serviceAccountKey: must be the JSON key object of a Google service account, not a string',
    ]);
  });
});

describe('Function: httpAuthJson', () => {
  it('shows every secret as the marker, and the rest as given', () => {
    assert.deepEqual(httpAuthJson({ type: 'basic', username: 'u', password: 'p' }), { type: 'basic', username: 'u', password: AUTH_SECRET_MARKER });
    assert.deepEqual(
      httpAuthJson({ type: 'oauth2', tokenUrl: 'https://t', clientId: 'c', clientSecret: 's', scope: 'x' }),
      { type: 'oauth2', tokenUrl: 'https://t', clientId: 'c', clientSecret: AUTH_SECRET_MARKER, scope: 'x' },
    );
    assert.deepEqual(
      httpAuthJson({ type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: RSA_PEM, private_key_id: 'k' } }),
      { type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: AUTH_SECRET_MARKER, private_key_id: 'k' } },
    );
    assert.deepEqual(
      httpAuthJson({ type: 'awsSigV4', service: 'lambda', region: 'r', awsAccessKeyId: 'AK', awsSecretAccessKey: 'S', awsSessionToken: 'T' }),
      { type: 'awsSigV4', service: 'lambda', region: 'r', awsAccessKeyId: 'AK', awsSecretAccessKey: AUTH_SECRET_MARKER, awsSessionToken: AUTH_SECRET_MARKER },
    );
  });
});

describe('Function: mergeAuthSecrets', () => {
  it('keeps the stored secret where the marker comes back, for the same type', () => {
    const stored = parseHttpAuth({ type: 'oauth2', tokenUrl: 'https://t', clientId: 'c', clientSecret: 'kept' });
    const incoming = parseHttpAuth({ type: 'oauth2', tokenUrl: 'https://t2', clientId: 'c', clientSecret: AUTH_SECRET_MARKER });

    assert.deepEqual(mergeAuthSecrets(incoming, stored), { ...incoming, clientSecret: 'kept' });
  });

  it('keeps a service account’s private key for the same client_email only', () => {
    const stored = parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: RSA_PEM } });
    const same = parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b', private_key: AUTH_SECRET_MARKER }, audience: 'x' });
    const other = parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: { client_email: 'c@d', private_key: AUTH_SECRET_MARKER } });

    assert.equal((mergeAuthSecrets(same, stored) as { serviceAccountKey: { private_key: string } }).serviceAccountKey.private_key, RSA_PEM);
    assert.throws(() => mergeAuthSecrets(other, stored), /serviceAccountKey\.private_key: "\*{8}" keeps the stored key, but there is none/);
  });

  it('refuses the marker when there is nothing of that type to keep', () => {
    const incoming = parseHttpAuth({ type: 'basic', username: 'u', password: AUTH_SECRET_MARKER });

    assert.throws(() => mergeAuthSecrets(incoming, undefined), /provider\.auth\.password: "\*{8}" keeps the stored secret, but there is none to keep/);
    assert.throws(() => mergeAuthSecrets(incoming, parseHttpAuth({ type: 'awsSigV4', service: 's', region: 'r' })), HttpAuthError);
  });

  it('lists the secrets of each type', () => {
    assert.deepEqual(httpAuthSecrets(parseHttpAuth({ type: 'awsSigV4', service: 's', region: 'r', awsAccessKeyId: 'A', awsSecretAccessKey: 'B' })), ['B']);
  });
});

describe('Function: renewAt', () => {
  it('renews 10% of the lifetime early, at most 60 s, and assumes 5 minutes without a lifetime', () => {
    assert.equal(renewAt(0, 5_000), 4_500);
    assert.equal(renewAt(0, 300_000), 270_000);
    assert.equal(renewAt(0, 3_600_000), 3_540_000);
    assert.equal(renewAt(0, undefined), 270_000);
    assert.equal(renewAt(0, 0), 0);
  });
});

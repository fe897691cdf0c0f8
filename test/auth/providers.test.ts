import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Agent } from 'undici';
import { parseHttpAuth } from '../../lib/core/model/auth.js';
import type { HttpAuth } from '../../lib/core/model/auth.js';
import { Authenticators, TokenFetchError } from '../../lib/invokers/http/auth/index.js';
import type { AuthenticatedFunction, TokenFetchOutcome } from '../../lib/invokers/http/auth/index.js';
import { guardedLookup, STRICT_TARGET_POLICY, type TargetPolicy } from '../../lib/invokers/http/index.js';
import { GoogleTokenEndpoint } from '../fakes/google-token-endpoint.js';
import { OAuth2TokenServer } from '../fakes/oauth2-token-server.js';
import { verifySigV4 } from '../fakes/sigv4-verifier.js';

const CLIENT_SECRET = 'cs-very-secret-value+/=';
const FN: AuthenticatedFunction = { space: 'default', functionId: 'fn', url: new URL('https://fn.example.test/hook?x=1') };
const BODY = '{"eventType":"user.created","data":{"a":1}}';
const call = (headers: Record<string, string> = {}) => ({
  url: FN.url,
  method: 'POST',
  headers: { 'content-type': 'application/cloudevents+json', ...headers },
  body: BODY,
});

interface Fetch {
  fn: string;
  type: string;
  outcome: TokenFetchOutcome;
}

/** Authenticators over a loopback-allowing pool, a controllable clock, and a record of the token fetches. */
function authenticators(options: { policy?: TargetPolicy; now?: () => number } = {}) {
  const policy = options.policy ?? { allowLoopback: true, allow: [] };
  const agent = new Agent({ connect: { lookup: guardedLookup(policy) } });
  const fetches: Fetch[] = [];
  const refused: Array<{ url: string; address: string; reason: string }> = [];
  const auths = new Authenticators({
    tokenClient: {
      dispatcher: agent,
      targetPolicy: policy,
      onRefused: (url, address, reason) => refused.push({ url, address, reason }),
      timeoutMs: 2000,
    },
    onTokenFetch: (fn, type, outcome) => fetches.push({ fn: `${fn.space}/${fn.functionId}`, type, outcome }),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  return { auths, agent, fetches, refused };
}

async function tokenError(promise: Promise<unknown>): Promise<TokenFetchError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TokenFetchError, `expected a TokenFetchError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the token fetch to fail');
}

describe('Auth: basic', () => {
  it('sends Authorization: Basic with the username and password', async () => {
    const { auths, agent } = authenticators();
    const auth = parseHttpAuth({ type: 'basic', username: 'ibm', password: 'pa ss:wörd' });

    const headers = await auths.of(FN, auth).headersFor(call());

    assert.equal(headers['authorization'], `Basic ${Buffer.from('ibm:pa ss:wörd').toString('base64')}`);
    assert.equal(auths.of(FN, auth).rejected(headers), false);
    await agent.close();
  });
});

describe('Auth: oauth2 client credentials', () => {
  let server: OAuth2TokenServer;

  before(async () => {
    server = await OAuth2TokenServer.start({ clients: { 'gateway-client': CLIENT_SECRET } });
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.issued.length = 0;
    server.fetches = 0;
    server.down = false;
    server.delayMs = 0;
    server.expiresIn = 3600;
  });
  after(() => server.close());

  const oauth2 = (extra: Record<string, unknown> = {}): HttpAuth =>
    parseHttpAuth({ type: 'oauth2', tokenUrl: server.url, clientId: 'gateway-client', clientSecret: CLIENT_SECRET, ...extra });

  it('authenticates with client_secret_basic by default and sends the issued token as a bearer token', async () => {
    const { auths, agent, fetches } = authenticators();

    const headers = await auths.of(FN, oauth2({ scope: 'api://fn/.default', audience: 'https://fn', extraParams: { resource: 'r1' } })).headersFor(call());

    const issued = server.validBearer(headers['authorization']);
    assert.ok(issued, `not a valid token: ${headers['authorization']}`);
    assert.equal(issued.method, 'client_secret_basic');
    assert.equal(issued.clientId, 'gateway-client');
    assert.deepEqual(issued.params, { grant_type: 'client_credentials', scope: 'api://fn/.default', audience: 'https://fn', resource: 'r1' });
    assert.deepEqual(fetches, [{ fn: 'default/fn', type: 'oauth2', outcome: 'fetched' }]);
    await agent.close();
  });

  it('authenticates with client_secret_post when clientAuth is "post"', async () => {
    const { auths, agent } = authenticators();

    const headers = await auths.of(FN, oauth2({ clientAuth: 'post' })).headersFor(call());

    assert.equal(server.validBearer(headers['authorization'])?.method, 'client_secret_post');
    assert.equal(server.requests[0]!.headers.authorization, undefined);
    assert.equal(server.requests[0]!.form.get('client_id'), 'gateway-client');
    await agent.close();
  });

  it('reuses the token until 10% of its lifetime before it expires, then fetches a new one', async () => {
    let now = 1_000_000;
    const { auths, agent } = authenticators({ now: () => now });
    server.expiresIn = 20; // renewed 2 s early
    const auth = oauth2();

    const first = await auths.of(FN, auth).headersFor(call());
    now += 17_900;
    const second = await auths.of(FN, auth).headersFor(call());
    now += 200;
    const third = await auths.of(FN, auth).headersFor(call());

    assert.equal(second['authorization'], first['authorization']);
    assert.notEqual(third['authorization'], first['authorization']);
    assert.equal(server.fetches, 2);
    await agent.close();
  });

  /** With `expires_in` as given: one fetch until `reusedUntilMs` after the first, a second one `renewedByMs` after. */
  async function assertRenewal(expiresIn: number | undefined, reusedUntilMs: number, renewedByMs: number) {
    let now = 1_000_000;
    const { auths, agent } = authenticators({ now: () => now });
    server.expiresIn = expiresIn;
    const auth = oauth2();
    await auths.of(FN, auth).headersFor(call());
    now += reusedUntilMs;
    await auths.of(FN, auth).headersFor(call());
    assert.equal(server.fetches, 1, `still reused ${reusedUntilMs} ms later`);
    now += renewedByMs - reusedUntilMs;
    await auths.of(FN, auth).headersFor(call());
    assert.equal(server.fetches, 2, `renewed ${renewedByMs} ms later`);
    await agent.close();
  }

  it('renews a long-lived token at most 60 s before it expires', () => assertRenewal(3600, 3_539_000, 3_541_000));

  it('assumes a 5-minute lifetime when the endpoint gives no expires_in', () => assertRenewal(undefined, 269_000, 271_000));

  it('fetches once for many concurrent calls (single flight)', async () => {
    const { auths, agent } = authenticators();
    server.delayMs = 100;
    const auth = oauth2();

    const all = await Promise.all(Array.from({ length: 20 }, () => auths.of(FN, auth).headersFor(call())));

    assert.equal(server.requests.length, 1);
    assert.equal(new Set(all.map((h) => h['authorization'])).size, 1);
    await agent.close();
  });

  it('keeps one token per function, and a new one when the function’s auth changes', async () => {
    const { auths, agent } = authenticators();
    const other: AuthenticatedFunction = { ...FN, functionId: 'other' };

    await auths.of(FN, oauth2()).headersFor(call());
    await auths.of(FN, oauth2()).headersFor(call()); // an equal config reloaded: same token
    await auths.of(other, oauth2()).headersFor(call());
    await auths.of(FN, oauth2({ scope: 'changed' })).headersFor(call());

    assert.equal(server.fetches, 3);
    await agent.close();
  });

  it('renews the token once after a 401, however many calls saw the refused token', async () => {
    const { auths, agent } = authenticators();
    const auth = oauth2();
    const authenticator = auths.of(FN, auth);
    const used = await authenticator.headersFor(call());

    assert.equal(authenticator.rejected(used), true);
    assert.equal(authenticator.rejected(used), true);
    const renewed = await Promise.all([authenticator.headersFor(call()), authenticator.headersFor(call())]);
    assert.equal(authenticator.rejected(used), true); // a late 401 for the old token drops nothing
    const again = await authenticator.headersFor(call());

    assert.equal(server.fetches, 2);
    assert.notEqual(renewed[0]['authorization'], used['authorization']);
    assert.equal(again['authorization'], renewed[0]['authorization']);
    await agent.close();
  });

  it('fails with invalid_client on a wrong secret, never showing the secret, and counts a failed fetch', async () => {
    const { auths, agent, fetches } = authenticators();
    const auth = parseHttpAuth({ type: 'oauth2', tokenUrl: server.url, clientId: 'gateway-client', clientSecret: 'wrong-secret-123' });

    const error = await tokenError(auths.of(FN, auth).headersFor(call()));

    assert.equal(error.kind, 'call-failed');
    assert.match(error.message, /^Function call failed\. Error: token endpoint http:\/\/127\.0\.0\.1:\d+\/token: HTTP 401 \(invalid_client: /);
    assert.doesNotMatch(error.message, /wrong-secret-123/);
    assert.deepEqual(fetches, [{ fn: 'default/fn', type: 'oauth2', outcome: 'failed' }]);
    await agent.close();
  });

  it('fails while the endpoint is down and fetches again, without caching the failure, once it is back', async () => {
    const { auths, agent, fetches } = authenticators();
    const auth = oauth2();
    server.down = true;

    const error = await tokenError(auths.of(FN, auth).headersFor(call()));
    assert.match(error.detail, /token endpoint http:\/\/127\.0\.0\.1:\d+\/token: .*(socket|closed|reset)/i);
    server.down = false;
    const headers = await auths.of(FN, auth).headersFor(call());

    assert.ok(server.validBearer(headers['authorization']));
    assert.deepEqual(fetches.map((f) => f.outcome), ['failed', 'fetched']);
    await agent.close();
  });

  it('fails when nothing listens on the endpoint', async () => {
    const stopped = await OAuth2TokenServer.start({ clients: {} });
    const url = stopped.url;
    await stopped.stop();
    const { auths, agent } = authenticators();

    const error = await tokenError(auths.of(FN, parseHttpAuth({ type: 'oauth2', tokenUrl: url, clientId: 'a', clientSecret: 'b' })).headersFor(call()));

    assert.match(error.detail, /ECONNREFUSED/);
    await agent.close();
  });

  it('refuses a token endpoint on a loopback address by the SSRF guard, before connecting, and reports it', async () => {
    const { auths, agent, fetches, refused } = authenticators({ policy: STRICT_TARGET_POLICY });

    const error = await tokenError(auths.of(FN, oauth2()).headersFor(call()));

    assert.equal(error.outcome, 'refused');
    assert.match(error.detail, /dial tcp 127\.0\.0\.1:\d+: connection refused by the SSRF guard \(loopback 127\.0\.0\.0\/8\)/);
    assert.equal(server.requests.length, 0);
    assert.deepEqual(fetches, [{ fn: 'default/fn', type: 'oauth2', outcome: 'refused' }]);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.url, server.url);
    await agent.close();
  });

  it('refuses a token endpoint whose name resolves to a refused address (checked at connect time)', async () => {
    const { auths, agent, fetches } = authenticators({ policy: STRICT_TARGET_POLICY });
    const auth = oauth2({ tokenUrl: server.url.replace('127.0.0.1', 'localhost') });

    const error = await tokenError(auths.of(FN, auth).headersFor(call()));

    assert.equal(error.outcome, 'refused');
    assert.match(error.detail, /connection refused by the SSRF guard \(loopback/);
    assert.equal(server.requests.length, 0);
    assert.deepEqual(fetches.map((f) => f.outcome), ['refused']);
    await agent.close();
  });

});

describe('Auth: googleIdToken', () => {
  let endpoint: GoogleTokenEndpoint;

  before(async () => {
    endpoint = await GoogleTokenEndpoint.start();
  });
  after(() => endpoint.close());

  it('exchanges a JWT signed with the service account key for an ID token whose audience is the URL without query', async () => {
    const { auths, agent, fetches } = authenticators();
    const account = endpoint.createServiceAccount('sa-one@test-project.iam.gserviceaccount.com');

    const headers = await auths.of(FN, parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: account.key })).headersFor(call());

    const token = endpoint.validBearer(headers['authorization'], 'https://fn.example.test/hook');
    assert.ok(token, `not a valid ID token for the URL: ${headers['authorization']}`);
    assert.equal(token.email, 'sa-one@test-project.iam.gserviceaccount.com');
    const claims = endpoint.assertions.at(-1)!;
    assert.equal(claims['iss'], account.key.client_email);
    assert.equal(claims['aud'], endpoint.url);
    assert.equal(claims['target_audience'], 'https://fn.example.test/hook');
    assert.deepEqual(fetches, [{ fn: 'default/fn', type: 'googleIdToken', outcome: 'fetched' }]);
    await agent.close();
  });

  it('asks for the configured audience, and reuses the token until shortly before its exp', async () => {
    let now = Date.now();
    const { auths, agent } = authenticators({ now: () => now });
    endpoint.now = () => now;
    const account = endpoint.createServiceAccount('sa-two@test-project.iam.gserviceaccount.com');
    const auth = parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: account.key, audience: 'my-client-id.apps' });
    const before = endpoint.issued.length;

    const first = await auths.of(FN, auth).headersFor(call());
    now += 3_530_000; // the token lasts 3600 s: renewed 60 s before
    const second = await auths.of(FN, auth).headersFor(call());
    now += 20_000;
    const third = await auths.of(FN, auth).headersFor(call());

    assert.ok(endpoint.validBearer(first['authorization'], 'my-client-id.apps'));
    assert.equal(second['authorization'], first['authorization']);
    assert.notEqual(third['authorization'], first['authorization']);
    assert.equal(endpoint.issued.length - before, 2);
    endpoint.now = Date.now;
    await agent.close();
  });

  it('fails when the endpoint does not know the key’s signature, never showing the private key', async () => {
    const { auths, agent, fetches } = authenticators();
    const known = endpoint.createServiceAccount('sa-three@test-project.iam.gserviceaccount.com');
    const stranger = endpoint.createServiceAccount('sa-four@test-project.iam.gserviceaccount.com');
    // sa-three's email with sa-four's key: the signature does not verify with sa-three's public key.
    const forged = { ...known.key, private_key: stranger.key.private_key };

    const error = await tokenError(auths.of(FN, parseHttpAuth({ type: 'googleIdToken', serviceAccountKey: forged })).headersFor(call()));

    assert.match(error.detail, /HTTP 400 \(invalid_grant: Invalid JWT Signature\.\)/);
    assert.doesNotMatch(error.message, /PRIVATE KEY/);
    assert.deepEqual(fetches.map((f) => f.outcome), ['failed']);
    await agent.close();
  });
});

describe('Auth: awsSigV4', () => {
  const expected = { service: 'lambda', region: 'eu-west-1', keys: { AKIDSTATIC: 'static-secret', test: 'test' } };
  const sigv4 = (extra: Record<string, unknown> = {}) => parseHttpAuth({ type: 'awsSigV4', service: 'lambda', region: 'eu-west-1', ...extra });
  const received = (headers: Record<string, string>, signed: Record<string, string>, body = BODY) => ({
    method: 'POST',
    url: `${FN.url.pathname}${FN.url.search}`,
    headers: { ...headers, ...signed, host: FN.url.host },
    body,
  });

  it('signs with the function’s static keys, and the SDK signer’s verifier accepts the request', async () => {
    const { auths, agent } = authenticators();
    const extra = { 'webhook-id': 'msg_1' };

    const signed = await auths.of(FN, sigv4({ awsAccessKeyId: 'AKIDSTATIC', awsSecretAccessKey: 'static-secret' })).headersFor(call(extra));

    const verdict = await verifySigV4(received({ 'content-type': 'application/cloudevents+json', ...extra }, signed), expected);
    assert.deepEqual(verdict, {
      ok: true,
      accessKeyId: 'AKIDSTATIC',
      signedHeaders: ['content-type', 'host', 'webhook-id', 'x-amz-content-sha256', 'x-amz-date'],
    });
    await agent.close();
  });

  it('signs with the gateway’s own credentials from the default chain when the function has no keys', async () => {
    const { auths, agent } = authenticators();

    const signed = await auths.of(FN, sigv4()).headersFor(call());

    const verdict = await verifySigV4(received({ 'content-type': 'application/cloudevents+json' }, signed), expected);
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    assert.equal(verdict.accessKeyId, process.env['AWS_ACCESS_KEY_ID']);
    await agent.close();
  });

  it('sends and signs the session token of temporary keys', async () => {
    const { auths, agent } = authenticators();

    const signed = await auths.of(FN, sigv4({ awsAccessKeyId: 'AKIDSTATIC', awsSecretAccessKey: 'static-secret', awsSessionToken: 'session-1' })).headersFor(call());

    assert.equal(signed['x-amz-security-token'], 'session-1');
    const verdict = await verifySigV4(received({ 'content-type': 'application/cloudevents+json' }, signed), expected);
    assert.ok(verdict.ok && verdict.signedHeaders.includes('x-amz-security-token'));
    await agent.close();
  });

  it('is refused by the verifier when the body, a signed header or the region differ', async () => {
    const { auths, agent } = authenticators();
    const signed = await auths.of(FN, sigv4({ awsAccessKeyId: 'AKIDSTATIC', awsSecretAccessKey: 'static-secret' })).headersFor(call());
    const base = { 'content-type': 'application/cloudevents+json' };

    const body = await verifySigV4(received(base, signed, `${BODY} `), expected);
    const header = await verifySigV4(received({ 'content-type': 'text/plain' }, signed), expected);
    const region = await verifySigV4(received(base, signed), { ...expected, region: 'us-east-1' });

    assert.equal(body.ok, false);
    assert.equal(header.ok, false);
    assert.equal(region.ok, false);
    await agent.close();
  });
});

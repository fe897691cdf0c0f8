import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { eventually } from '../helpers/sink.js';
import { GoogleTokenEndpoint, type TestServiceAccount } from '../fakes/google-token-endpoint.js';
import { OAuth2TokenServer } from '../fakes/oauth2-token-server.js';
import { ProtectedTarget } from '../fakes/protected-target.js';
import { verifySigV4 } from '../fakes/sigv4-verifier.js';

// End to end through a started gateway: the config API takes `provider.auth`, sync calls and async deliveries carry
// the credentials, and the fakes of the real protocols check them.
const CLIENT_SECRET = `cs-${randomBytes(12).toString('hex')}`;
const BASIC_PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const AWS_SECRET = `aws-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const FAST_RETRY = { maxAttempts: 50, baseDelayMs: 50, maxDelayMs: 200 };

function metric(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('authenticated http functions through a started gateway', () => {
  const logs: string[] = [];
  let gw: RunningGateway;
  let config: ConfigClient;
  let oauth: OAuth2TokenServer;
  let google: GoogleTokenEndpoint;
  let account: TestServiceAccount;
  let target: ProtectedTarget;

  const emit = (eventType: string, id: string) =>
    http(gw.eventsUrl, '/', {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ eventType, cloudEventsVersion: '0.1', source: '/test', eventID: id, data: { id } }),
    });
  const syncCall = (path: string) => http(gw.eventsUrl, path, { method: 'POST', body: '{"q":1}', headers: { 'content-type': 'application/json' } });

  /** A function with `auth`, an async subscription to `eventType` and a sync one on `/sync/<id>`. */
  async function authFunction(functionId: string, url: string, auth: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    await config.eventType(`auth.${functionId}`);
    await config.httpFunction(functionId, url, { auth, ...extra });
    await config.subscribe({ type: 'async', eventType: `auth.${functionId}`, functionId, retry: FAST_RETRY });
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId, method: 'POST', path: `/sync/${functionId}` });
  }

  const oauth2 = (extra: Record<string, unknown> = {}) => ({
    type: 'oauth2', tokenUrl: oauth.url, clientId: 'gateway', clientSecret: CLIENT_SECRET, ...extra,
  });

  before(async () => {
    oauth = await OAuth2TokenServer.start({ clients: { gateway: CLIENT_SECRET } });
    google = await GoogleTokenEndpoint.start();
    account = google.createServiceAccount();
    target = await ProtectedTarget.start();
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
    gw = await startTestGateway({ logger });
    config = new ConfigClient(gw);
    await config.eventType('http.request');
  });
  after(async () => {
    await gw.close();
    await Promise.all([oauth.close(), google.close(), target.close()]);
  });

  it('basic: sync and async calls carry the username and password', async () => {
    const expected = `Basic ${Buffer.from(`webhook:${BASIC_PASSWORD}`).toString('base64')}`;
    const url = target.protect('/basic', (r) => (r.headers.authorization === expected ? undefined : 'bad basic credentials'));
    await authFunction('basic', url, { type: 'basic', username: 'webhook', password: BASIC_PASSWORD });

    const sync = await syncCall('/sync/basic');
    assert.equal(sync.status, 200);
    assert.equal(sync.text, 'ok /basic');
    assert.equal((await emit('auth.basic', 'b-1')).status, 202);
    await target.waitForAccepted('/basic', 2);
    assert.equal(target.refused('/basic').length, 0);
  });

  it('oauth2: one token serves sync and async calls; Standard Webhooks signing still applies on top', async () => {
    const url = target.protect('/oauth', (r) => (oauth.validBearer(r.headers.authorization) ? undefined : 'no valid token'));
    await authFunction('oauth', url, oauth2({ scope: 'fn.invoke' }), { signingSecret: SIGNING_SECRET });
    const fetchesBefore = oauth.fetches;

    assert.equal((await syncCall('/sync/oauth')).status, 200);
    assert.equal((await emit('auth.oauth', 'o-1')).status, 202);
    const [, delivered] = await target.waitForAccepted('/oauth', 2);

    assert.equal(oauth.fetches - fetchesBefore, 1);
    assert.equal(oauth.issued.at(-1)!.scope, 'fn.invoke');
    assert.equal(oauth.issued.at(-1)!.method, 'client_secret_basic');
    const headers = {
      'webhook-id': String(delivered!.headers['webhook-id']),
      'webhook-timestamp': String(delivered!.headers['webhook-timestamp']),
      'webhook-signature': String(delivered!.headers['webhook-signature']),
    };
    assert.equal((new Webhook(SIGNING_SECRET).verify(delivered!.body, headers) as { eventID: string }).eventID, 'o-1');
  });

  it('oauth2: a token is renewed shortly before it expires', async () => {
    const url = target.protect('/expiring', (r) => (oauth.validBearer(r.headers.authorization) ? undefined : 'expired or unknown token'));
    await authFunction('expiring', url, oauth2({ clientAuth: 'post' }));
    oauth.expiresIn = 1; // renewed 0.1 s early
    try {
      const fetchesBefore = oauth.fetches;
      assert.equal((await syncCall('/sync/expiring')).status, 200);
      assert.equal((await syncCall('/sync/expiring')).status, 200);
      assert.equal(oauth.fetches - fetchesBefore, 1, 'reused while fresh');
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await syncCall('/sync/expiring')).status, 200);
      assert.equal((await emit('auth.expiring', 'e-1')).status, 202);
      await target.waitForAccepted('/expiring', 4);
      assert.equal(oauth.fetches - fetchesBefore, 2, 'renewed once after it expired');
      assert.equal(target.refused('/expiring').length, 0, 'an expired token was never sent');
      assert.equal(oauth.issued.at(-1)!.method, 'client_secret_post');
    } finally {
      oauth.expiresIn = 3600;
    }
  });

  it('oauth2: a 401 from the target renews the token exactly once and the call succeeds', async () => {
    const url = target.protect('/revoked', (r) => (oauth.validBearer(r.headers.authorization) ? undefined : 'revoked'));
    await authFunction('revoked', url, oauth2());
    assert.equal((await syncCall('/sync/revoked')).status, 200);

    oauth.revokeAll();
    let fetchesBefore = oauth.fetches;
    const sync = await syncCall('/sync/revoked');
    assert.equal(sync.status, 200);
    assert.equal(oauth.fetches - fetchesBefore, 1);
    assert.equal(target.refused('/revoked').length, 1);

    oauth.revokeAll();
    fetchesBefore = oauth.fetches;
    assert.equal((await emit('auth.revoked', 'r-1')).status, 202);
    await target.waitForAccepted('/revoked', 3);
    assert.equal(oauth.fetches - fetchesBefore, 1);
    assert.equal(target.refused('/revoked').length, 2);
  });

  it('oauth2: a target that keeps answering 401 gets one renewal per call, not a loop', async () => {
    const url = target.protect('/always401', () => 'never accepted');
    await authFunction('always401', url, oauth2());
    const fetchesBefore = oauth.fetches;

    await syncCall('/sync/always401');
    assert.equal(target.refused('/always401').length, 2);
    assert.equal(oauth.fetches - fetchesBefore, 2, 'the first token, then exactly one renewal');

    // Async: a 401 is permanent, so the item is dead-lettered after its one attempt (two calls, one renewal).
    assert.equal((await emit('auth.always401', 'a-1')).status, 202);
    await eventually(() => target.refused('/always401').length === 4, 5000, 'two more calls');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(target.refused('/always401').length, 4);
    assert.equal(oauth.fetches - fetchesBefore, 3);
  });

  it('oauth2: while the token endpoint is down the item is retried, then delivered when it comes back', async () => {
    const url = target.protect('/outage', (r) => (oauth.validBearer(r.headers.authorization) ? undefined : 'no valid token'));
    await authFunction('outage', url, oauth2({ audience: 'outage-api' }));
    await oauth.stop();
    try {
      const failedBefore = metric((await http(gw.configUrl, '/v1/metrics')).text, 'eventgateway_token_fetches_total', { function: 'outage', outcome: 'failed' });
      assert.equal((await emit('auth.outage', 'down-1')).status, 202);
      await eventually(
        async () => metric((await http(gw.configUrl, '/v1/metrics')).text, 'eventgateway_token_fetches_total', { function: 'outage', outcome: 'failed' }) >= failedBefore + 2,
        5000,
        'two failed token fetches',
      );
      const sync = await syncCall('/sync/outage');
      assert.equal(sync.status, 500);
      assert.equal(target.received.filter((r) => r.path === '/outage').length, 0, 'no call without a token');
    } finally {
      await oauth.restart();
    }
    await target.waitForAccepted('/outage', 1, 5000);
    assert.equal(oauth.issued.at(-1)!.audience, 'outage-api');
    assert.ok(logs.some((l) => l.includes('token endpoint http://127.0.0.1:') && l.includes('"functionId":"outage"')), 'the failure is logged');
    const dead = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters')).text;
    assert.ok(!dead.includes('down-1'), 'not dead-lettered');
  });

  it('oauth2: a token endpoint on a refused range is refused by the SSRF guard, logged, and dead-lettered when retries run out', async () => {
    const url = target.protect('/ssrf', () => undefined);
    await config.eventType('auth.ssrf');
    await config.httpFunction('ssrf', url, { auth: oauth2({ tokenUrl: 'http://169.254.169.254/latest/token' }) });
    await config.subscribe({ type: 'async', eventType: 'auth.ssrf', functionId: 'ssrf', retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'ssrf', method: 'POST', path: '/sync/ssrf' });

    assert.equal((await syncCall('/sync/ssrf')).status, 500);
    assert.equal((await emit('auth.ssrf', 'ssrf-1')).status, 202);
    let dead: { lastError: { message: string } } | undefined;
    await eventually(async () => {
      const listed = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters')).json<{ deadLetters: Array<{ functionId: string; lastError: { message: string } }> }>();
      dead = listed.deadLetters.find((d) => d.functionId === 'ssrf');
      return dead !== undefined;
    }, 5000, 'dead-lettered');

    assert.match(dead!.lastError.message, /token endpoint http:\/\/169\.254\.169\.254\/latest\/token: dial tcp 169\.254\.169\.254:80: connection refused by the SSRF guard \(cloud instance metadata/);
    assert.equal(target.received.filter((r) => r.path === '/ssrf').length, 0);
    const refusal = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'http call refused by the SSRF guard' && l['url'] === 'http://169.254.169.254/latest/token');
    assert.ok(refusal, 'the refusal is logged with the token URL');
    const metrics = (await http(gw.configUrl, '/v1/metrics')).text;
    assert.ok(metric(metrics, 'eventgateway_token_fetches_total', { function: 'ssrf', auth_type: 'oauth2', outcome: 'refused' }) >= 3);
  });

  it('googleIdToken: sync and async calls carry an ID token for the function URL, verified at the target', async () => {
    const url = target.protect('/google', (r) => (google.validBearer(r.headers.authorization, `${target.origin}/google`) ? undefined : 'bad ID token'));
    await authFunction('google', `${url}?tenant=1`, { type: 'googleIdToken', serviceAccountKey: account.key });
    const before = google.issued.length;

    assert.equal((await syncCall('/sync/google')).status, 200);
    assert.equal((await emit('auth.google', 'g-1')).status, 202);
    await target.waitForAccepted('/google', 2);
    assert.equal(google.issued.length - before, 1);
    assert.equal(google.assertions.at(-1)!['target_audience'], `${target.origin}/google`);
  });

  it('googleIdToken: an ID token is renewed before its exp', async () => {
    const url = target.protect('/google-short', (r) => (google.validBearer(r.headers.authorization, 'short-aud') ? undefined : 'bad ID token'));
    await authFunction('google-short', url, { type: 'googleIdToken', serviceAccountKey: account.key, audience: 'short-aud' });
    google.idTokenLifetimeS = 2;
    try {
      const before = google.issued.length;
      assert.equal((await syncCall('/sync/google-short')).status, 200);
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal((await emit('auth.google-short', 'gs-1')).status, 202);
      await target.waitForAccepted('/google-short', 2);
      assert.equal(google.issued.length - before, 2);
      assert.equal(target.refused('/google-short').length, 0);
    } finally {
      google.idTokenLifetimeS = 3600;
    }
  });

  it('awsSigV4: sync and async calls are signed, and the SDK signer’s verifier accepts them', async () => {
    const keys = { AKIDGATEWAY: AWS_SECRET };
    const url = target.protect('/lambda-url', async (r) => {
      const verdict = await verifySigV4(r, { service: 'lambda', region: 'eu-west-1', keys });
      return verdict.ok ? undefined : verdict.reason;
    }, 403);
    await authFunction('sigv4', `${url}?mode=x`, { type: 'awsSigV4', service: 'lambda', region: 'eu-west-1', awsAccessKeyId: 'AKIDGATEWAY', awsSecretAccessKey: AWS_SECRET }, { signingSecret: SIGNING_SECRET });

    assert.equal((await syncCall('/sync/sigv4')).status, 200);
    assert.equal((await emit('auth.sigv4', 's-1')).status, 202);
    const [, delivered] = await target.waitForAccepted('/lambda-url', 2);
    assert.match(String(delivered!.headers.authorization), /SignedHeaders=content-type;host;webhook-id;webhook-signature;webhook-timestamp;x-amz-content-sha256;x-amz-date,/);
  });

  it('the config API validates auth, shows its secrets masked, and keeps them on a PUT that sends the marker back', async () => {
    const bad = await call(gw.configUrl, 'POST', '/v1/spaces/default/functions', {
      functionId: 'bad', type: 'http', provider: { url: target.origin, auth: { type: 'oauth2', tokenUrl: 'not a url', clientId: 'x' } },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /provider\.auth\.tokenUrl: not an absolute URL/);
    assert.match(bad.text, /provider\.auth\.clientSecret: required/);

    const got = (await call(gw.configUrl, 'GET', '/v1/spaces/default/functions/oauth')).json<{ provider: { auth: Record<string, unknown> } }>();
    assert.deepEqual(got.provider.auth, { type: 'oauth2', tokenUrl: oauth.url, clientId: 'gateway', clientSecret: '********', scope: 'fn.invoke' });
    const plain = (await call(gw.configUrl, 'GET', '/v1/spaces/default/functions')).json<{ functions: Array<{ functionId: string; provider: Record<string, unknown> }> }>();
    assert.ok(plain.functions.every((f) => f.functionId === 'bad' || f.provider['auth'] !== undefined), 'every function here has auth');

    const put = await call(gw.configUrl, 'PUT', '/v1/spaces/default/functions/oauth', { type: 'http', provider: got.provider });
    assert.equal(put.status, 200, put.text);
    const accepted = target.accepted('/oauth').length;
    assert.equal((await syncCall('/sync/oauth')).status, 200, 'the kept secret still works');
    assert.equal(target.accepted('/oauth').length, accepted + 1);
  });

  it('no secret appears in any config API answer, log line or dead letter', async () => {
    const answers = [
      (await call(gw.configUrl, 'GET', '/v1/spaces/default/functions')).text,
      (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters')).text,
      (await http(gw.configUrl, '/v1/metrics')).text,
    ];
    const privateKeyBody = account.key.private_key.split('\n')[1]!;
    const secrets = [CLIENT_SECRET, BASIC_PASSWORD, AWS_SECRET, privateKeyBody, SIGNING_SECRET.slice('whsec_'.length)];
    assert.ok(logs.length > 10, 'the run logged');
    for (const secret of secrets) {
      for (const text of [...answers, ...logs]) assert.ok(!text.includes(secret), `a secret leaked: ${text.slice(0, 200)}`);
    }
  });
});

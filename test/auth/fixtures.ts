import { generateKeyPairSync } from 'node:crypto';
import { parseFunction } from '../../lib/core/model/index.js';
import type { FunctionConfig } from '../../lib/core/model/index.js';

const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** One http function per auth type, parsed by the config API's own parser. */
export function functionsWithAuth(space = 'default'): FunctionConfig[] {
  const auths = [
    { type: 'basic', username: 'u', password: 'p' },
    { type: 'oauth2', tokenUrl: 'https://login.example/t', clientId: 'c', clientSecret: 's', clientAuth: 'post', scope: 'x', extraParams: { resource: 'r' } },
    { type: 'googleIdToken', serviceAccountKey: { client_email: 'a@b.iam', private_key: PRIVATE_KEY, token_uri: 'https://oauth2.example/token' }, audience: 'aud' },
    { type: 'awsSigV4', service: 'lambda', region: 'eu-west-1', awsAccessKeyId: 'AK', awsSecretAccessKey: 'SK', awsSessionToken: 'ST' },
  ];
  return auths.map((auth) =>
    parseFunction(JSON.stringify({ functionId: `fn-${auth.type}`, type: 'http', provider: { url: 'https://fn.example/hook', auth } }), { space }),
  );
}

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** How far a request's date may be from now: AWS allows 15 minutes. */
const MAX_SKEW_MS = 15 * 60 * 1000;

/** A request as a target received it. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query as they were on the wire. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type SigV4Verdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly signedHeaders: readonly string[]; readonly sessionToken?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * What AWS does with a SigV4-signed request (Lambda function URLs and API Gateway with IAM auth): it recomputes the
 * signature with the AWS SDK's own signer, over the headers the request says it signed, the body's real SHA-256,
 * and the secret of the access key the request names, and compares. `keys` maps access key ids to secrets.
 */
export async function verifySigV4(
  request: SignedRequest,
  expected: { readonly service: string; readonly region: string; readonly keys: Readonly<Record<string, string>> },
  now = Date.now(),
): Promise<SigV4Verdict> {
  const refuse = (reason: string): SigV4Verdict => ({ ok: false, reason });
  const authorization = request.headers.authorization;
  const match = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
  if (match === null) return refuse(`malformed or missing Authorization: ${authorization ?? '(none)'}`);
  const [, accessKeyId, shortDate, region, service, signedList] = match as unknown as string[];
  const secret = expected.keys[accessKeyId!];
  if (secret === undefined) return refuse(`unknown access key ${accessKeyId}`);
  if (region !== expected.region || service !== expected.service) {
    return refuse(`credential scope ${region}/${service}, expected ${expected.region}/${expected.service}`);
  }
  const amzDate = single(request.headers['x-amz-date']);
  const date = amzDate === undefined ? null : AMZ_DATE.exec(amzDate);
  if (date === null) return refuse('missing or malformed x-amz-date');
  const signingDate = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
  if (amzDate!.slice(0, 8) !== shortDate) return refuse('x-amz-date is not the credential scope date');
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) return refuse('signature expired (x-amz-date too far from now)');

  const signedHeaders = signedList!.split(';');
  if (!signedHeaders.includes('host')) return refuse('host is not signed');
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = single(request.headers[name]);
    if (value === undefined) return refuse(`signed header ${name} is missing`);
    headers[name] = value;
  }
  if (headers['x-amz-content-sha256'] !== undefined && headers['x-amz-content-sha256'] !== bodyHash) {
    return refuse('x-amz-content-sha256 is not the hash of the body');
  }
  // The signer takes the payload hash from this header when present: make it the real one.
  headers['x-amz-content-sha256'] = bodyHash;
  if (!signedHeaders.includes('x-amz-content-sha256')) delete headers['x-amz-content-sha256'];
  const sessionToken = single(request.headers['x-amz-security-token']);

  const url = new URL(request.url, `http://${headers['host']}`);
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const signer = new SignatureV4({
    service: expected.service,
    region: expected.region,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: secret, ...(sessionToken !== undefined ? { sessionToken } : {}) },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const recomputed = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: url.hostname, path: url.pathname, query, headers, body: request.body },
    { signingDate },
  );
  if (recomputed.headers['authorization'] !== authorization) {
    return refuse(`signature mismatch: expected ${recomputed.headers['authorization']}`);
  }
  return { ok: true, accessKeyId: accessKeyId!, signedHeaders, ...(sessionToken !== undefined ? { sessionToken } : {}) };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

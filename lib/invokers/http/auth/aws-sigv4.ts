import type { AwsSigV4Auth } from '../../../core/model/auth.js';
import { InvocationError } from '../../../core/response/index.js';
import type { Authenticator, OutgoingCall } from './authenticator.js';

/** AWS credentials, as the SDK's providers give them. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Credentials for signing, as the SDK's providers give them (they cache and renew by themselves). */
export type AwsCredentialsProvider = () => Promise<AwsCredentialIdentity>;

type Signer = InstanceType<typeof import('@smithy/signature-v4').SignatureV4>;

// The signer and the default credential chain are loaded on first use: most gateways never sign.
let signerModules: Promise<[typeof import('@smithy/signature-v4'), typeof import('@smithy/core/serde')]> | undefined;
function loadSigner() {
  return (signerModules ??= Promise.all([import('@smithy/signature-v4'), import('@smithy/core/serde')]));
}

/**
 * The gateway's own credentials by the SDK's default chain (environment, web identity, ECS task role, EC2 instance
 * role…), created on first use and shared by every function that signs without static keys.
 */
export function defaultAwsCredentials(): AwsCredentialsProvider {
  let provider: Promise<AwsCredentialsProvider> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await provider)();
  };
}

/**
 * Signs every call with AWS Signature Version 4, by the AWS SDK's own signer: the function's static keys when it
 * has them, else `credentials` (the gateway's). Every header the call carries is signed, with `host`; the signer
 * adds `x-amz-date`, `x-amz-content-sha256` and, for temporary credentials, `x-amz-security-token`.
 */
export function awsSigV4Authenticator(auth: AwsSigV4Auth, credentials: AwsCredentialsProvider): Authenticator {
  const staticKeys: AwsCredentialIdentity | undefined =
    auth.awsAccessKeyId !== undefined && auth.awsSecretAccessKey !== undefined
      ? {
          accessKeyId: auth.awsAccessKeyId,
          secretAccessKey: auth.awsSecretAccessKey,
          ...(auth.awsSessionToken !== undefined ? { sessionToken: auth.awsSessionToken } : {}),
        }
      : undefined;
  let signer: Promise<Signer> | undefined;
  const signerOf = () =>
    (signer ??= loadSigner().then(
      ([{ SignatureV4 }, { Hash }]) =>
        new SignatureV4({
          service: auth.service,
          region: auth.region,
          credentials: staticKeys ?? credentials,
          sha256: Hash.bind(null, 'sha256'),
        }),
    ));

  return {
    async headersFor(call: OutgoingCall) {
      const signed = await signCall(await signerOf(), call);
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed)) {
        const lower = name.toLowerCase();
        if (lower === 'authorization' || lower.startsWith('x-amz-')) out[lower] = value;
      }
      return out;
    },
    // A SigV4 refusal (403 mostly) is not cured by signing again.
    rejected: () => false,
  };
}

async function signCall(signer: Signer, call: OutgoingCall): Promise<Record<string, string>> {
  const { url } = call;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  try {
    const request = await signer.sign({
      method: call.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...call.headers, host: url.host },
      body: call.body,
    });
    return request.headers;
  } catch (error) {
    // No credentials in the chain, an expired role session…: retried like any call that could not be made.
    const text = error instanceof Error ? error.message : String(error);
    throw new InvocationError('call-failed', `signing with AWS SigV4: ${text}`, { cause: error });
  }
}

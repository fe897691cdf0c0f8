import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, jsonProtocolHandler, type AwsJsonRequest } from './json-protocol.js';
import { LoopbackServer } from './server.js';

/**
 * A fake of Secrets Manager's `GetSecretValue` (JSON 1.1 protocol) for the real SDK v3 client: `POST /` with
 * `X-Amz-Target: secretsmanager.GetSecretValue` and `{"SecretId"}` (a name or an ARN); it answers
 * `{"ARN","Name","VersionId","SecretString","VersionStages","CreatedDate"}`, or an error as `{"__type","Message"}`.
 * Secrets exist once a test puts them.
 */

/** A request as the fake received it: the operation from `X-Amz-Target` (`GetSecretValue`, …), its body, its signer. */
export type SecretsManagerRequest = AwsJsonRequest;

interface StoredSecret {
  arn: string;
  name: string;
  versionId: string;
  secretString: string | undefined;
  createdDate: number;
}

const ACCOUNT = '000000000000';

export class FakeSecretsManager {
  /** Every request received, in order. */
  readonly requests: SecretsManagerRequest[] = [];
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly failures = new Map<string, { error: string; status: number; message: string }>();
  private readonly server = new LoopbackServer(
    jsonProtocolHandler({
      targetPrefix: 'secretsmanager.',
      messageField: 'Message',
      onRequest: (request) => this.requests.push(request),
      operations: { GetSecretValue: (body) => this.getSecretValue(body) },
    }),
  );

  static async start(): Promise<FakeSecretsManager> {
    const fake = new FakeSecretsManager();
    await fake.server.listen();
    return fake;
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Stores (or replaces) a secret; returns its ARN, which, like the name, finds it. `undefined` stores one without a SecretString. */
  putSecret(name: string, secretString: string | undefined, region = 'us-east-1'): string {
    const existing = this.secrets.get(name);
    const arn = existing?.arn ?? `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(name, { arn, name, versionId: randomUUID(), secretString, createdDate: Date.now() / 1000 });
    return arn;
  }

  /** Makes every request for this secret (name or ARN) fail with an AWS error, until cleared with `undefined`. */
  fail(secretId: string, failure: { error: string; status?: number; message?: string } | undefined): void {
    if (failure === undefined) this.failures.delete(secretId);
    else this.failures.set(secretId, { error: failure.error, status: failure.status ?? 400, message: failure.message ?? failure.error });
  }

  /** How many `GetSecretValue` calls asked for this secret (by name or ARN). */
  reads(secretId: string): number {
    const secret = this.find(secretId);
    return this.requests.filter((r) => {
      if (r.operation !== 'GetSecretValue') return false;
      const id = (r.body as { SecretId?: unknown }).SecretId;
      return id === secretId || (secret !== undefined && (id === secret.arn || id === secret.name));
    }).length;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private find(secretId: string): StoredSecret | undefined {
    return this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
  }

  private getSecretValue(body: unknown): unknown {
    const { SecretId: secretId } = body as { SecretId?: unknown };
    if (typeof secretId !== 'string' || secretId === '') throw new AwsError('InvalidParameterException', 'SecretId is required');
    const failure = this.failures.get(secretId);
    if (failure) throw new AwsError(failure.error, failure.message, failure.status);
    const secret = this.find(secretId);
    if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      ...(secret.secretString === undefined ? {} : { SecretString: secret.secretString }),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    };
  }
}

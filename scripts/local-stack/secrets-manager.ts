// Secrets Manager for the local stack, speaking its wire protocol (JSON 1.1, `X-Amz-Target:
// secretsmanager.<Operation>`) to the real SDK: GetSecretValue and DescribeSecret of the template's secrets, whose
// values are generated as their GenerateSecretString asks.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Secret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  created: number;
}

export interface GenerateSecretString {
  PasswordLength?: number;
  ExcludePunctuation?: boolean;
  ExcludeNumbers?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  IncludeSpace?: boolean;
  ExcludeCharacters?: string;
}

/** A password as GenerateSecretString describes it (Secrets Manager's defaults: 32 characters, all classes). */
export function generatePassword(spec: GenerateSecretString = {}): string {
  let alphabet = '';
  if (!spec.ExcludeLowercase) alphabet += 'abcdefghijklmnopqrstuvwxyz';
  if (!spec.ExcludeUppercase) alphabet += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (!spec.ExcludeNumbers) alphabet += '0123456789';
  if (!spec.ExcludePunctuation) alphabet += '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  if (spec.IncludeSpace) alphabet += ' ';
  const excluded = new Set(spec.ExcludeCharacters ?? '');
  const chars = [...alphabet].filter((c) => !excluded.has(c));
  return Array.from({ length: spec.PasswordLength ?? 32 }, () => chars[randomInt(chars.length)]).join('');
}

export class LocalSecretsManager {
  private readonly secrets = new Map<string, Secret>();
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.handle(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'), res));
  });

  constructor(private readonly region: string) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Creates a secret; returns its ARN (what `Ref` of an AWS::SecretsManager::Secret gives). */
  create(name: string, value: string): string {
    const arn = `arn:aws:secretsmanager:${this.region}:000000000000:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(arn, { arn, name, value, versionId: randomUUID(), created: Date.now() / 1000 });
    return arn;
  }

  value(arn: string): string | undefined {
    return this.secrets.get(arn)?.value;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private find(id: unknown): Secret | undefined {
    if (typeof id !== 'string') return undefined;
    return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
  }

  private handle(target: string, raw: string, res: ServerResponse): void {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(text);
    };
    let input: { SecretId?: unknown };
    try {
      input = JSON.parse(raw || '{}') as { SecretId?: unknown };
    } catch {
      reply(400, { __type: 'SerializationException', Message: 'Request body is not valid JSON' });
      return;
    }
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
    if (operation !== 'GetSecretValue' && operation !== 'DescribeSecret') {
      reply(400, { __type: 'UnknownOperationException', Message: `The local stack does not serve ${target || 'this operation'}` });
      return;
    }
    const secret = this.find(input.SecretId);
    if (!secret) {
      reply(400, { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." });
      return;
    }
    if (operation === 'DescribeSecret') {
      reply(200, { ARN: secret.arn, Name: secret.name, CreatedDate: secret.created, VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] } });
      return;
    }
    reply(200, { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, SecretString: secret.value, VersionStages: ['AWSCURRENT'], CreatedDate: secret.created });
  }
}

import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError } from '../core/errors/index.js';
import { bearerToken, generateAccessKey, generateKeyId, hashAccessKey, sameHash } from '../core/access-keys/index.js';
import type { AccessKeyRecord, AccessKeyStore } from '../ports/access-keys.js';
import type { ConfigRequest } from './types.js';
import { jsonObjectBody } from './json-body.js';

/** What a config API route needs from the caller's key. */
export type AccessScope = { kind: 'open' } | { kind: 'metrics' } | { kind: 'admin' } | { kind: 'space'; space: string };

export interface AccessControlOptions {
  store: AccessKeyStore;
  /** Keys are required; false in dev mode, where every call is allowed. */
  required: boolean;
  /** The first admin key (the `adminKey` setting, `--admin-key`): all spaces, never stored. */
  adminKey?: string;
  /** `/v1/metrics` without a key. @default false */
  publicMetrics?: boolean;
  /**
   * `/v1/metrics` without a key for requests whose TCP peer is on the loopback interface (a scraper in the same
   * task or host); everyone else still needs a key. @default false
   */
  loopbackMetrics?: boolean;
  /** How long a key lookup is reused; a revocation takes at most this long elsewhere. @default 0 */
  cacheTtlMs?: number;
}

const UNAUTHORIZED = 'Unauthorized: a valid access key is required (Authorization: bearer <key>).';

/**
 * Access keys on the config API (docs/compatibility.md#access-keys): 401 without a valid key, 403 for a key of another
 * space.
 */
export class AccessControl {
  private readonly adminHash: string | undefined;
  private readonly cache = new Map<string, { record: AccessKeyRecord | undefined; until: number }>();

  constructor(private readonly options: AccessControlOptions) {
    this.adminHash = options.adminKey ? hashAccessKey(options.adminKey) : undefined;
  }

  async authorize(request: ConfigRequest, scope: AccessScope): Promise<void> {
    if (!this.options.required || scope.kind === 'open') return;
    if (scope.kind === 'metrics' && (this.options.publicMetrics || (this.options.loopbackMetrics && request.fromLoopback === true))) return;
    const key = bearerToken(request.headers.authorization);
    if (!key) throw new UnauthorizedError(UNAUTHORIZED);
    const hash = hashAccessKey(key);
    if (this.adminHash && sameHash(hash, this.adminHash)) return;
    const record = await this.lookup(hash);
    if (!record || record.revokedAt !== undefined) throw new UnauthorizedError(UNAUTHORIZED);
    if (record.spaces === '*') return;
    if (scope.kind === 'admin') throw new ForbiddenError('Forbidden: managing access keys needs an all-spaces key.');
    // The metrics carry the labels of every space.
    if (scope.kind === 'metrics') throw new ForbiddenError('Forbidden: /v1/metrics needs an all-spaces key (or --public-metrics).');
    if (!record.spaces.includes(scope.space)) {
      throw new ForbiddenError(`Forbidden: the access key does not grant access to space "${scope.space}".`);
    }
  }

  forget(hash?: string): void {
    if (hash === undefined) this.cache.clear();
    else this.cache.delete(hash);
  }

  private async lookup(hash: string): Promise<AccessKeyRecord | undefined> {
    const ttl = this.options.cacheTtlMs ?? 0;
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.record;
    const record = await this.options.store.findByHash(hash);
    if (ttl > 0) this.cache.set(hash, { record, until: now + ttl });
    return record;
  }
}

/** A key as `/v1/keys` shows it: never the key or its hash. */
export interface AccessKeyView {
  keyId: string;
  spaces: string[] | '*';
  description: string;
  createdAt: string;
  revokedAt?: string;
}

export function toAccessKeyView(record: AccessKeyRecord): AccessKeyView {
  return {
    keyId: record.keyId,
    spaces: record.spaces,
    description: record.description,
    createdAt: new Date(record.createdAt).toISOString(),
    ...(record.revokedAt === undefined ? {} : { revokedAt: new Date(record.revokedAt).toISOString() }),
  };
}

const SPACE_PATTERN = /^[a-zA-Z0-9.\-_]{3,256}$/;

/** Creates, lists and revokes access keys: `/v1/keys` and `event-gateway keys …`. */
export class AccessKeyService {
  constructor(
    private readonly store: AccessKeyStore,
    private readonly onRevoke: (hash: string) => void = () => {},
  ) {}

  /** Returns the new key's text once; only its hash is kept. */
  async create(input: { spaces: unknown; description?: unknown }): Promise<AccessKeyView & { key: string }> {
    const spaces = parseSpaces(input.spaces);
    if (input.description !== undefined && input.description !== null && typeof input.description !== 'string') {
      throw new BadRequestError('Access key "description" must be a string.');
    }
    const description = typeof input.description === 'string' ? input.description.slice(0, 1024) : '';
    const key = generateAccessKey();
    const record: AccessKeyRecord = { keyId: generateKeyId(), hash: hashAccessKey(key), spaces, description, createdAt: Date.now() };
    await this.store.create(record);
    return { ...toAccessKeyView(record), key };
  }

  async createFromBody(body: string): Promise<AccessKeyView & { key: string }> {
    const { spaces, description } = jsonObjectBody(
      body,
      'Access key request must be a JSON object like {"spaces": ["default"], "description": "…"} or {"spaces": "*"}.',
    );
    return this.create({ spaces, description });
  }

  async list(): Promise<AccessKeyView[]> {
    return (await this.store.list()).map(toAccessKeyView);
  }

  async get(keyId: string): Promise<AccessKeyView> {
    const record = await this.store.get(keyId);
    if (!record) throw new NotFoundError(`Access key "${keyId}" not found.`);
    return toAccessKeyView(record);
  }

  async revoke(keyId: string): Promise<void> {
    const record = await this.store.get(keyId);
    if (!record || !(await this.store.revoke(keyId, Date.now()))) throw new NotFoundError(`Access key "${keyId}" not found.`);
    this.onRevoke(record.hash);
  }
}

function parseSpaces(spaces: unknown): string[] | '*' {
  if (spaces === '*') return '*';
  if (!Array.isArray(spaces) || spaces.length === 0) {
    throw new BadRequestError('Access key "spaces" must be "*" or a non-empty list of space names.');
  }
  for (const space of spaces) {
    if (typeof space !== 'string' || !SPACE_PATTERN.test(space)) {
      throw new BadRequestError(`Access key space ${JSON.stringify(space)} is not a valid space name.`);
    }
  }
  return [...new Set(spaces as string[])];
}

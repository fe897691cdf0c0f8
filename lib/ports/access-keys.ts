/** A stored access key (docs/compatibility.md#access-keys). The key itself is never stored: only its SHA-256 hash. */
export interface AccessKeyRecord {
  keyId: string;
  /** Hex SHA-256 of the full key text. */
  hash: string;
  /** The spaces the key may configure, or `'*'` for all of them (and for managing keys). */
  spaces: string[] | '*';
  description: string;
  /** ms since the epoch. */
  createdAt: number;
  revokedAt?: number;
}

/** Where access keys live: next to the registry (SQLite locally, the registry table on DynamoDB). */
export interface AccessKeyStore {
  /** Throws when the keyId exists. */
  create(record: AccessKeyRecord): Promise<void>;
  get(keyId: string): Promise<AccessKeyRecord | undefined>;
  findByHash(hash: string): Promise<AccessKeyRecord | undefined>;
  /** Every key, newest first, revoked ones included. */
  list(): Promise<AccessKeyRecord[]>;
  /** Marks the key revoked; returns false when there is no such key. */
  revoke(keyId: string, at: number): Promise<boolean>;
}

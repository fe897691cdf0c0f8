import type { SqliteDatabase } from '../../sqlite/index.js';
import { migrate } from '../../sqlite/index.js';
import type { AccessKeyRecord, AccessKeyStore } from '../../../ports/access-keys.js';

export const ACCESS_KEY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE access_keys (
     key_id TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     spaces TEXT NOT NULL,
     description TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   )`,
];

interface Row {
  key_id: string;
  hash: string;
  spaces: string;
  description: string;
  created_at: number;
  revoked_at: number | null;
}

/** Access keys in the local store's SQLite file, beside the registry. */
export class SqliteAccessKeyStore implements AccessKeyStore {
  private readonly insert;
  private readonly byId;
  private readonly byHash;
  private readonly all;
  private readonly markRevoked;

  constructor(db: SqliteDatabase) {
    migrate(db, 'accesskeys', ACCESS_KEY_MIGRATIONS);
    this.insert = db.prepare(
      'INSERT INTO access_keys (key_id, hash, spaces, description, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.byId = db.prepare<[string], Row>('SELECT * FROM access_keys WHERE key_id = ?');
    this.byHash = db.prepare<[string], Row>('SELECT * FROM access_keys WHERE hash = ?');
    this.all = db.prepare<[], Row>('SELECT * FROM access_keys ORDER BY created_at DESC, key_id DESC');
    this.markRevoked = db.prepare('UPDATE access_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?');
  }

  async create(record: AccessKeyRecord): Promise<void> {
    this.insert.run(record.keyId, record.hash, JSON.stringify(record.spaces), record.description, record.createdAt, record.revokedAt ?? null);
  }

  async get(keyId: string): Promise<AccessKeyRecord | undefined> {
    return toRecord(this.byId.get(keyId));
  }

  async findByHash(hash: string): Promise<AccessKeyRecord | undefined> {
    return toRecord(this.byHash.get(hash));
  }

  async list(): Promise<AccessKeyRecord[]> {
    return this.all.all().map((row) => toRecord(row)!);
  }

  async revoke(keyId: string, at: number): Promise<boolean> {
    return this.markRevoked.run(at, keyId).changes > 0;
  }
}

function toRecord(row: Row | undefined): AccessKeyRecord | undefined {
  if (!row) return undefined;
  return {
    keyId: row.key_id,
    hash: row.hash,
    spaces: JSON.parse(row.spaces) as string[] | '*',
    description: row.description,
    createdAt: row.created_at,
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

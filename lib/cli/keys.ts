import { Command, Option } from 'commander';
import { SqliteAccessKeyStore } from '../adapters/access-keys/sqlite/index.js';
import { openDatabase } from '../adapters/sqlite/index.js';
import { AccessKeyService } from '../config-api/index.js';
import { DEFAULT_DATA_DIR } from '../gateway/options.js';

/** `event-gateway keys create|list|revoke` on the configured store (design §2.6). */
export function keysCommand(): Command {
  const dataDir = () =>
    new Option('--data-dir <path>', 'folder of the embedded store').env('EVENT_GATEWAY_DATA_DIR').default(DEFAULT_DATA_DIR);
  const withService = async <T>(dir: string, run: (service: AccessKeyService) => Promise<T>): Promise<T> => {
    const db = openDatabase({ dataDir: dir });
    try {
      return await run(new AccessKeyService(new SqliteAccessKeyStore(db)));
    } finally {
      db.close();
    }
  };

  const keys = new Command('keys').description('manage the access keys of the config API');
  keys
    .command('create')
    .description('create a key and print it once (only its hash is stored)')
    .option('--spaces <list>', 'comma-separated spaces the key may configure')
    .option('--all-spaces', 'a key for every space, which may also manage keys')
    .option('--description <text>', 'what the key is for', '')
    .addOption(dataDir())
    .action(async (opts: { spaces?: string; allSpaces?: boolean; description: string; dataDir: string }) => {
      if (!opts.allSpaces && !opts.spaces) throw new Error('give --spaces <list> or --all-spaces');
      const spaces = opts.allSpaces ? '*' : (opts.spaces ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const created = await withService(opts.dataDir, (s) => s.create({ spaces, description: opts.description }));
      console.log(JSON.stringify(created, null, 2));
    });
  keys
    .command('list')
    .description('list the keys (never the keys themselves)')
    .addOption(dataDir())
    .action(async (opts: { dataDir: string }) => {
      console.log(JSON.stringify({ keys: await withService(opts.dataDir, (s) => s.list()) }, null, 2));
    });
  keys
    .command('revoke')
    .description('revoke a key by its keyId')
    .argument('<keyId>')
    .addOption(dataDir())
    .action(async (keyId: string, opts: { dataDir: string }) => {
      await withService(opts.dataDir, (s) => s.revoke(keyId));
      console.log(`revoked ${keyId}`);
    });
  return keys;
}

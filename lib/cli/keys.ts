import { Command, Option } from 'commander';
import { AccessKeyService } from '../config-api/index.js';
import { DEFAULT_DATA_DIR } from '../gateway/options.js';
import { openSqliteAccessKeys } from '../gateway/stores.js';

interface StoreFlags {
  dataDir: string;
  store: 'sqlite' | 'dynamodb';
  dynamodbTablePrefix: string;
  dynamodbEndpoint?: string;
}

/** `event-gateway keys create|list|revoke` on the configured store (docs/compatibility.md#access-keys). */
export function keysCommand(): Command {
  const storeOptions = (command: Command) =>
    command
      .addOption(new Option('--data-dir <path>', 'folder of the embedded store').env('EVENT_GATEWAY_DATA_DIR').default(DEFAULT_DATA_DIR))
      .addOption(new Option('--store <kind>', 'where the keys live').choices(['sqlite', 'dynamodb']).env('EVENT_GATEWAY_STORE').default('sqlite'))
      .addOption(new Option('--dynamodb-table-prefix <prefix>').env('EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX').default('event-gateway-'))
      .addOption(new Option('--dynamodb-endpoint <url>').env('EVENT_GATEWAY_DYNAMODB_ENDPOINT'));
  const withService = async <T>(flags: StoreFlags, run: (service: AccessKeyService) => Promise<T>): Promise<T> => {
    if (flags.store === 'dynamodb') {
      const { openDynamoStores } = await import('../gateway/aws.js');
      const stores = await openDynamoStores({
        tablePrefix: flags.dynamodbTablePrefix,
        ...(flags.dynamodbEndpoint ? { dynamodbEndpoint: flags.dynamodbEndpoint } : {}),
      });
      try {
        return await run(new AccessKeyService(stores.accessKeys));
      } finally {
        await stores.close();
      }
    }
    const local = openSqliteAccessKeys(flags.dataDir);
    try {
      return await run(new AccessKeyService(local.accessKeys));
    } finally {
      local.close();
    }
  };

  const keys = new Command('keys').description('manage the access keys of the config API');
  const create = keys
    .command('create')
    .description('create a key and print it once (only its hash is stored)')
    .option('--spaces <list>', 'comma-separated spaces the key may configure')
    // Both at once used to make an all-spaces key without a word: refused, the caller meant one of them.
    .addOption(new Option('--all-spaces', 'a key for every space, which may also manage keys').conflicts('spaces'))
    .option('--description <text>', 'what the key is for', '');
  storeOptions(create).action(async (opts: StoreFlags & { spaces?: string; allSpaces?: boolean; description: string }) => {
    if (!opts.allSpaces && !opts.spaces) throw new Error('give --spaces <list> or --all-spaces');
    const spaces = opts.allSpaces ? '*' : (opts.spaces ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const created = await withService(opts, (s) => s.create({ spaces, description: opts.description }));
    console.log(JSON.stringify(created, null, 2));
  });
  storeOptions(keys.command('list').description('list the keys (never the keys themselves)')).action(async (opts: StoreFlags) => {
    console.log(JSON.stringify({ keys: await withService(opts, (s) => s.list()) }, null, 2));
  });
  storeOptions(keys.command('revoke').description('revoke a key by its keyId').argument('<keyId>')).action(async (keyId: string, opts: StoreFlags) => {
    await withService(opts, (s) => s.revoke(keyId));
    console.log(`revoked ${keyId}`);
  });
  return keys;
}

import { Command, Option } from 'commander';
import { AccessKeyService } from '../config-api/index.js';
import { openSqliteAccessKeys } from '../gateway/stores.js';
import { settingOption } from './options.js';

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
      .addOption(settingOption('dataDir', 'folder of the embedded store'))
      .addOption(settingOption('store', 'where the keys live'))
      .addOption(settingOption('dynamodbTablePrefix'))
      .addOption(settingOption('dynamodbEndpoint'));
  const withService = async <T>(flags: StoreFlags, run: (service: AccessKeyService) => Promise<T>): Promise<T> => {
    if (flags.store === 'dynamodb') {
      const { openDynamoStores } = await import('../gateway/aws.js');
      const stores = await openDynamoStores({ tablePrefix: flags.dynamodbTablePrefix, dynamodbEndpoint: flags.dynamodbEndpoint });
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

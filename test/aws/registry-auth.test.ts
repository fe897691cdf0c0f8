import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRegistry, registryTableNames } from '../../lib/adapters/registry/dynamodb/index.js';
import { functionsWithAuth } from '../auth/fixtures.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const client = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
after(() => client.destroy());

describe('provider.auth in the DynamoDB registry (DynamoDB Local)', () => {
  it('stores every auth type, secrets included, and gives it back unchanged', async () => {
    const tablePrefix = `eg-auth-${randomUUID().slice(0, 8)}-`;
    const registry = new DynamoRegistry({ client, tablePrefix });
    await registry.ensureTables();
    try {
      const functions = functionsWithAuth();
      for (const fn of functions) await registry.create('function', fn);

      for (const fn of functions) assert.deepEqual(await registry.get('function', 'default', fn.functionId), fn);
      const listed = await registry.list('function', 'default');
      assert.deepEqual(new Set(listed.map((f) => f.functionId)), new Set(functions.map((f) => f.functionId)));
    } finally {
      await registry.close();
      await Promise.all(Object.values(registryTableNames(tablePrefix)).map((TableName) => client.send(new DeleteTableCommand({ TableName }))));
    }
  });
});

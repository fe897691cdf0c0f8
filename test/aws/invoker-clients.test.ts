import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FirehoseProvider, KinesisProvider, LambdaProvider, SqsProvider } from '../../lib/core/model/types.js';
import {
  clientKey,
  clientSettings,
  FirehoseInvoker,
  KinesisInvoker,
  LambdaInvoker,
  SqsInvoker,
  staticCredentials,
} from '../../lib/invokers/aws/index.js';

// No test here sends a request: clients are built and their resolved configuration is read.

const lambda = (provider: Partial<LambdaProvider> = {}): LambdaProvider => ({
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
  region: 'us-east-1',
  ...provider,
});

async function withEnv<T>(values: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    return await run();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('AWS invokers: credentials and clients (docs/compatibility.md#function-types)', () => {
  describe('staticCredentials', () => {
    it('[lambda] uses static keys only when both the key id and the secret are non-empty', () => {
      assert.deepEqual(staticCredentials({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' }), {
        accessKeyId: 'AKID',
        secretAccessKey: 'secret',
      });
      assert.equal(staticCredentials({ awsAccessKeyId: 'AKID' }), undefined);
      assert.equal(staticCredentials({ awsSecretAccessKey: 'secret' }), undefined);
      assert.equal(staticCredentials({ awsAccessKeyId: 'AKID', awsSecretAccessKey: '' }), undefined);
      assert.equal(staticCredentials({ awsAccessKeyId: '', awsSecretAccessKey: 'secret', awsSessionToken: 'token' }), undefined);
      assert.equal(staticCredentials({}), undefined);
    });

    it('[lambda] adds the session token only when it is non-empty', () => {
      assert.deepEqual(staticCredentials({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret', awsSessionToken: 'token' }), {
        accessKeyId: 'AKID',
        secretAccessKey: 'secret',
        sessionToken: 'token',
      });
      assert.deepEqual(staticCredentials({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret', awsSessionToken: '' }), {
        accessKeyId: 'AKID',
        secretAccessKey: 'secret',
      });
    });
  });

  describe('clientSettings', () => {
    it('[lambda] takes the region from the function and leaves credentials to the default chain without both keys', () => {
      assert.deepEqual(clientSettings(lambda({ region: 'eu-central-1', awsAccessKeyId: 'AKID' })), { region: 'eu-central-1' });
    });

    it('[lambda] adds the endpoint, maxAttempts and static keys when given', () => {
      const settings = clientSettings(lambda({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' }), {
        endpoint: 'http://127.0.0.1:9',
        maxAttempts: 1,
      });
      assert.deepEqual(settings, {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      });
    });

    it('[lambda] keys clients by region and static keys, token included', () => {
      const key = (provider: Partial<LambdaProvider>) => clientKey(clientSettings(lambda(provider)));
      assert.equal(key({}), key({ awsAccessKeyId: 'AKID' }));
      assert.notEqual(key({}), key({ region: 'eu-west-1' }));
      assert.notEqual(key({}), key({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' }));
      assert.notEqual(
        key({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' }),
        key({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret', awsSessionToken: 'token' }),
      );
      assert.notEqual(key({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' }), key({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'other' }));
    });
  });

  describe('the clients built', () => {
    it("[lambda] a client for a function with both keys resolves to those keys and the function's region", async () => {
      const invoker = new LambdaInvoker();
      try {
        const client = await invoker.clientFor(
          lambda({ region: 'ap-southeast-2', awsAccessKeyId: 'AKIDSTATIC', awsSecretAccessKey: 'static-secret', awsSessionToken: 'tok' }),
        );
        assert.equal(await client.config.region(), 'ap-southeast-2');
        const identity = await client.config.credentials();
        assert.equal(identity.accessKeyId, 'AKIDSTATIC');
        assert.equal(identity.secretAccessKey, 'static-secret');
        assert.equal(identity.sessionToken, 'tok');
      } finally {
        await invoker.close();
      }
    });

    it('[lambda] a client for a function without both keys resolves through the default chain (here the environment)', async () => {
      const invoker = new LambdaInvoker();
      try {
        const client = await invoker.clientFor(lambda({ awsAccessKeyId: 'AKIDSTATIC' }));
        const identity = await withEnv({ AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'env-secret' }, () =>
          client.config.credentials(),
        );
        assert.equal(identity.accessKeyId, 'AKIDFROMENV');
        assert.equal(identity.secretAccessKey, 'env-secret');
      } finally {
        await invoker.close();
      }
    });

    it('[sqs] clientConfig credentials stand in for the default chain, and a function with keys still uses its own', async () => {
      const invoker = new SqsInvoker({ clientConfig: { credentials: { accessKeyId: 'AKIDCONFIG', secretAccessKey: 'config-secret' } } });
      const queue = (provider: Partial<SqsProvider> = {}): SqsProvider => ({
        queueUrl: 'http://127.0.0.1:9/000000000000/q',
        region: 'us-east-1',
        ...provider,
      });
      try {
        const unkeyed = await invoker.clientFor(queue());
        assert.equal((await unkeyed.config.credentials()).accessKeyId, 'AKIDCONFIG');
        const keyed = await invoker.clientFor(queue({ awsAccessKeyId: 'AKIDSTATIC', awsSecretAccessKey: 'static-secret' }));
        assert.equal((await keyed.config.credentials()).accessKeyId, 'AKIDSTATIC');
      } finally {
        await invoker.close();
      }
    });

    it("[firehose] the function's region and the endpoint and maxAttempts options win over clientConfig", async () => {
      const invoker = new FirehoseInvoker({
        endpoint: 'http://127.0.0.1:9',
        maxAttempts: 1,
        clientConfig: { region: 'sa-east-1', endpoint: 'http://127.0.0.1:8', maxAttempts: 7, customUserAgent: 'eg-test' },
      });
      try {
        const client = await invoker.clientFor({ deliveryStreamName: 's', region: 'eu-north-1' });
        assert.equal(await client.config.region(), 'eu-north-1');
        assert.equal(await client.config.maxAttempts(), 1);
        const endpoint = await client.config.endpoint?.();
        assert.equal(endpoint?.hostname, '127.0.0.1');
        assert.equal(endpoint?.port, 9);
        assert.deepEqual(client.config.customUserAgent, [['eg-test']]);
      } finally {
        await invoker.close();
      }
    });
  });

  describe('client cache', () => {
    const stream = (provider: Partial<KinesisProvider> = {}): KinesisProvider => ({ streamName: 's', region: 'us-east-1', ...provider });

    it('[kinesis] creates no client before the first use', () => {
      assert.equal(new KinesisInvoker().clientCount, 0);
    });

    it('[kinesis] shares one client per region and credentials, whatever the stream', async () => {
      const invoker = new KinesisInvoker();
      try {
        const first = await invoker.clientFor(stream());
        assert.equal(await invoker.clientFor(stream()), first, 'an equal provider');
        assert.equal(await invoker.clientFor(stream({ streamName: 'other' })), first, 'another stream, same region');
        assert.equal(await invoker.clientFor(stream({ awsAccessKeyId: 'AKID' })), first, 'a key id without a secret');
        assert.equal(invoker.clientCount, 1);

        const otherRegion = await invoker.clientFor(stream({ region: 'eu-west-1' }));
        const keyed = await invoker.clientFor(stream({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' }));
        const otherSecret = await invoker.clientFor(stream({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret2' }));
        const withToken = await invoker.clientFor(stream({ awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret', awsSessionToken: 't' }));
        assert.equal(new Set([first, otherRegion, keyed, otherSecret, withToken]).size, 5);
        assert.equal(invoker.clientCount, 5);
        assert.equal(await invoker.clientFor(stream({ streamName: 'x', awsAccessKeyId: 'AKID', awsSecretAccessKey: 'secret' })), keyed);
      } finally {
        await invoker.close();
      }
    });

    it('[kinesis] close() destroys the clients and refuses new ones', async () => {
      const invoker = new KinesisInvoker();
      await invoker.clientFor(stream());
      await invoker.close();
      assert.equal(invoker.clientCount, 0);
      await assert.rejects(invoker.clientFor(stream()), { message: 'Function call failed. Error: the invoker is closed' });
    });
  });
});

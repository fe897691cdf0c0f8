import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { StreamRelay } from '../../lib/adapters/registry/dynamodb/index.js';

/** The endpoint a local AWS-compatible server was started on by test/run.mjs (see test/aws-servers.mjs). */
export function requireEnv(name: 'EG_TEST_DYNAMODB_ENDPOINT' | 'EG_TEST_SQS_ENDPOINT' | 'EG_TEST_KINESIS_ENDPOINT'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\` (test/run.mjs starts the local AWS servers)`);
  return value;
}

/** SDK v3 client settings for a local server: dummy credentials, a fixed region, no retries beyond two. */
export function awsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  };
}

/**
 * The gateway's own Stream relay (lib), on its own: for tests of the registry and the Lambdas that need the change
 * log written while no gateway process runs. `leaseMs` is short so that a relay a test forgets stops mattering soon.
 */
export async function startStreamRelay(endpoint: string, tablePrefix: string, leaseMs = 3000): Promise<{ relay: StreamRelay; stop(): Promise<void> }> {
  const client = new DynamoDBClient(awsClientConfig(endpoint));
  const streams = new DynamoDBStreamsClient(awsClientConfig(endpoint));
  const relay = new StreamRelay({ client, streams, tablePrefix, leaseMs, idleMs: 20 }).start();
  const deadline = Date.now() + 10_000;
  while (!relay.holding) {
    if (Date.now() > deadline) throw new Error('the stream relay did not take its lease within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    relay,
    async stop() {
      await relay.stop();
      streams.destroy();
      client.destroy();
    },
  };
}

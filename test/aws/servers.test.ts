import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig, requireEnv } from './helpers.js';

describe('the local AWS-compatible servers (docs/architecture.md#testing-without-aws)', () => {
  it('[dynamodb] answers the real SDK v3 client', async () => {
    const client = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
    const out = await client.send(new ListTablesCommand({}));
    assert.ok(Array.isArray(out.TableNames));
  });

  it('[sqs] answers the real SDK v3 client', async () => {
    const client = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
    const out = await client.send(new ListQueuesCommand({}));
    assert.ok(out.QueueUrls === undefined || Array.isArray(out.QueueUrls));
  });
});

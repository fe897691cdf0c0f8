/**
 * What the connector Lambda's role may read: the event sources of connections on AWS, by the service in their ARN.
 * Sources are chosen at runtime (a connection names its stream or queue), so the deployer lists what connections
 * may read (`connectorSourceArns`), or keeps the default: this account's streams and queues in the stack's region.
 */

import { serviceOfArn } from '../arns.js';

/** The services whose ARNs `connectorSourceArns` takes. */
export type ConnectorSourceService = 'kinesis' | 'dynamodb' | 'sqs' | 'mq' | 'secretsmanager' | 'kms';

/**
 * The calls Lambda makes with the connector's role to read each kind of source through an event source mapping
 * (AWS's documented execution-role permissions of each mapping type), on the listed ARNs.
 */
export const CONNECTOR_SOURCE_ACTIONS: Readonly<Record<ConnectorSourceService, readonly string[]>> = {
  kinesis: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
  dynamodb: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
  sqs: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  mq: ['mq:DescribeBroker'],
  // The broker's user name and password, which the RabbitMQ mapping signs in with (a connection's `source.secretArn`).
  secretsmanager: ['secretsmanager:GetSecretValue'],
  // Encrypted streams, queues and secrets.
  kms: ['kms:Decrypt'],
};

/** Stream mapping calls that support no resource-level permissions (granted on `*` when such a source is listed). */
export const CONNECTOR_LIST_ACTIONS: Readonly<Partial<Record<ConnectorSourceService, string>>> = {
  kinesis: 'kinesis:ListStreams',
  dynamodb: 'dynamodb:ListStreams',
};

/**
 * An Amazon MQ mapping reaches the broker from network interfaces Lambda creates in the broker's VPC with the
 * function's role; EC2 supports no resource-level permissions for these. Granted only when a broker is listed.
 */
export const CONNECTOR_MQ_NETWORK_ACTIONS: readonly string[] = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];

const RESOURCE_SHAPE: Readonly<Record<ConnectorSourceService, RegExp>> = {
  kinesis: /^stream\/[A-Za-z0-9_.*-]+$/,
  dynamodb: /^table\/[A-Za-z0-9_.*-]+\/stream\/[A-Za-z0-9_.:*-]+$/,
  sqs: /^[A-Za-z0-9_*-]+(\.fifo)?$/,
  mq: /^broker:[A-Za-z0-9_*-]+(:[A-Za-z0-9*-]+)?$/,
  secretsmanager: /^secret:[A-Za-z0-9/_+=.@*-]+$/,
  kms: /^(key|alias)\/[A-Za-z0-9/_*-]+$/,
};

/** Which service a `connectorSourceArns` entry names. Throws an Error naming the ARN and what is accepted. */
export function parseConnectorSourceArn(arn: string): { service: ConnectorSourceService; arn: string } {
  const service = serviceOfArn(arn, RESOURCE_SHAPE);
  if (service) return { service, arn };
  throw new Error(
    `"${arn}" is not the ARN of a Kinesis stream (arn:aws:kinesis:<region>:<account>:stream/<name>), a DynamoDB stream ` +
      '(…:dynamodb:…:table/<table>/stream/<label>), an SQS queue (…:sqs:…:<name>), an Amazon MQ broker (…:mq:…:broker:<name>:<id>), ' +
      'a Secrets Manager secret (…:secretsmanager:…:secret:<name>) or a KMS key (…:kms:…:key/<id>); a * may stand for any part',
  );
}

/** Every problem of a `connectorSourceArns` list (empty when it can be built). */
export function connectorSourceProblems(arns: readonly string[]): string[] {
  const problems: string[] = [];
  const services = new Set<ConnectorSourceService>();
  for (const arn of arns) {
    try {
      services.add(parseConnectorSourceArn(arn).service);
    } catch (error) {
      problems.push(`connectorSourceArns: ${(error as Error).message}`);
    }
  }
  if (services.has('mq') && !services.has('secretsmanager')) {
    problems.push(
      'connectorSourceArns lists an Amazon MQ broker but no Secrets Manager secret: a RabbitMQ mapping signs in to the broker ' +
        "with the secret a connection names (source.secretArn), so list that secret's ARN too",
    );
  }
  return problems;
}

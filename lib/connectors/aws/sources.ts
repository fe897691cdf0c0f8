/**
 * Which Lambda event source mapping reads a connection's source on AWS: the source's ARN, and the settings of the
 * mapping by source type. Pure: no AWS calls.
 */
import { BadRequestError } from '../../core/errors/index.js';
import { CONNECTION_INVALID, startingPositionOf, type Connection, type StartingPosition } from '../../core/connections/index.js';

/** The kinds of event source a mapping reads, as Lambda names them in each record's `eventSource`. */
export type MappingKind = 'kinesis' | 'dynamodb' | 'sqs' | 'rmq';

/** What the mapping of a source is made of. Two connections with the same {@link MappingSource.key} share one mapping. */
export interface MappingSource {
  kind: MappingKind;
  /** The mapping's identity among the connector's mappings: the ARN, and for Amazon MQ the virtual host and queue. */
  key: string;
  eventSourceArn: string;
  /** Streams only: where a new mapping starts (the first connection's, when several share it). */
  startingPosition?: StartingPosition;
  /** Amazon MQ only. */
  queues?: string[];
  /** Amazon MQ only: the secret to sign in with, the virtual host. */
  sourceAccessConfigurations?: Array<{ Type: 'BASIC_AUTH' | 'VIRTUAL_HOST'; URI: string }>;
}

/** The account and partition mappings are made in: the connector function's. */
export interface MappingAccount {
  partition: string;
  region: string;
  accountId: string;
}

const FUNCTION_ARN = /^arn:([^:]+):lambda:([^:]+):(\d{12}):function:[^:]+$/;
const MQ_BROKER_ARN = /^arn:[^:]+:mq:[^:]+:\d{12}:broker:[^:]+:b-[0-9a-f-]+$/;
const SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:.+$/;

/** The account of a function ARN (`arn:aws:lambda:eu-west-1:123456789012:function:name`); throws when it is not one. */
export function accountOfFunction(functionArn: string): MappingAccount {
  const match = FUNCTION_ARN.exec(functionArn);
  if (!match) throw new Error(`"${functionArn}" is not the ARN of an unqualified Lambda function (arn:aws:lambda:<region>:<account>:function:<name>)`);
  return { partition: match[1]!, region: match[2]!, accountId: match[3]! };
}

/** The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else the account's. */
function partitionOf(region: string, account: MappingAccount): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return account.partition;
}

/**
 * The event source a connection's mapping reads. Throws a {@link BadRequestError} saying what to change when the
 * connection cannot be read by a mapping: credentials in the source (a mapping reads with the connector function's
 * role), a queue URL without an account and name, an AMQP source without its Amazon MQ broker and secret.
 */
export function mappingSourceOf(connection: Connection, account: MappingAccount): MappingSource {
  if (connection.type !== 'amqp') {
    const given = (['awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'] as const).filter((k) => (connection.source[k] ?? '') !== '');
    if (given.length > 0) {
      throw invalid(
        `${given.map((k) => `"source.${k}"`).join(', ')} cannot be used on AWS: the connection is read by a Lambda event source ` +
          "mapping, which reads with the connector function's role and takes no access keys. Remove them, and grant the " +
          "connector role read access to the source (it has it for this account's streams and queues by default).",
      );
    }
  }
  switch (connection.type) {
    case 'awskinesis': {
      const { streamName, region } = connection.source;
      const arn = `arn:${partitionOf(region, account)}:kinesis:${region}:${account.accountId}:stream/${streamName}`;
      return { kind: 'kinesis', key: arn, eventSourceArn: arn, startingPosition: startingPositionOf(connection) };
    }
    case 'awsdynamodbstreams': {
      const arn = connection.source.streamArn;
      return { kind: 'dynamodb', key: arn, eventSourceArn: arn, startingPosition: startingPositionOf(connection) };
    }
    case 'awssqs': {
      const { queueUrl, region } = connection.source;
      const [accountId, name] = queuePath(queueUrl);
      if (!accountId || !name) {
        throw invalid(`"source.queueUrl" must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>) on AWS, got "${queueUrl}".`);
      }
      const arn = `arn:${partitionOf(region, account)}:sqs:${region}:${accountId}:${name}`;
      return { kind: 'sqs', key: arn, eventSourceArn: arn };
    }
    case 'amqp': {
      const { brokerArn, secretArn, queueName, url } = connection.source;
      const problems: string[] = [];
      if (!brokerArn || !MQ_BROKER_ARN.test(brokerArn)) {
        problems.push(
          `"source.brokerArn" must name the Amazon MQ for RabbitMQ broker (arn:aws:mq:<region>:<account>:broker:<name>:<id>)${brokerArn ? `, got "${brokerArn}"` : ''}.`,
        );
      }
      if (!secretArn || !SECRET_ARN.test(secretArn)) {
        problems.push(
          `"source.secretArn" must name a Secrets Manager secret holding {"username","password"} of the broker${secretArn ? `, got "${secretArn}"` : ''}.`,
        );
      }
      if (problems.length > 0) throw invalid(`on AWS an amqp source is read by an Amazon MQ event source mapping: ${problems.join(' ')}`);
      const vhost = virtualHostOf(url);
      return {
        kind: 'rmq',
        key: `${brokerArn}\n${vhost}\n${queueName}`,
        eventSourceArn: brokerArn!,
        queues: [queueName],
        sourceAccessConfigurations: [
          { Type: 'BASIC_AUTH', URI: secretArn! },
          { Type: 'VIRTUAL_HOST', URI: vhost },
        ],
      };
    }
  }
}

/** The key a record batch's source has, matching {@link MappingSource.key}. */
export function mappingKey(eventSourceArn: string, rmq?: { virtualHost: string; queue: string }): string {
  return rmq ? `${eventSourceArn}\n${rmq.virtualHost}\n${rmq.queue}` : eventSourceArn;
}

/** `/<account>/<name>` of a queue URL. */
function queuePath(queueUrl: string): [string | undefined, string | undefined] {
  try {
    const parts = new URL(queueUrl).pathname.split('/').filter((p) => p !== '');
    return parts.length === 2 && /^\d{12}$/.test(parts[0]!) ? [parts[0], parts[1]] : [undefined, undefined];
  } catch {
    return [undefined, undefined];
  }
}

/** The virtual host of an AMQP URL: its decoded path, `/` when it has none (RabbitMQ's default). */
export function virtualHostOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
  } catch {
    return '/';
  }
}

function invalid(message: string): BadRequestError {
  return new BadRequestError(CONNECTION_INVALID + message);
}

/**
 * Connections: where the gateway pulls events from (the original's connector service, extended). A connection names a
 * source (a Kinesis stream, an SQS queue, a DynamoDB stream or an AMQP queue), the event type every record becomes, and
 * the events API it is emitted to. Field order in these interfaces is the JSON key order of the connections API.
 */
import type { Metadata } from '../model/types.js';

/** The source types this gateway can read. */
export const SOURCE_TYPES = ['awskinesis', 'awssqs', 'awsdynamodbstreams', 'amqp'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Source types the original connector had that this gateway does not support (named in the 400). */
export const UNSUPPORTED_SOURCE_TYPES: readonly string[] = ['kafka', 'awscloudtrail'];

/** Where a stream source starts reading when it has no checkpoint yet. */
export const STARTING_POSITIONS = ['TRIM_HORIZON', 'LATEST'] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];
/** A new connection reads its stream from the oldest record it can, so nothing written around its creation is missed. */
export const DEFAULT_STARTING_POSITION: StartingPosition = 'TRIM_HORIZON';

export interface AwsSourceCredentials {
  awsAccessKeyId?: string;
  /** A secret: shown as `********`. */
  awsSecretAccessKey?: string;
  /** A secret: shown as `********`. */
  awsSessionToken?: string;
}

export interface KinesisSource extends AwsSourceCredentials {
  streamName: string;
  region: string;
  /** @default 'TRIM_HORIZON' (applied when reading; never added to the stored source) */
  startingPosition?: StartingPosition;
}

export interface SqsSource extends AwsSourceCredentials {
  queueUrl: string;
  region: string;
}

export interface DynamoDbStreamsSource extends AwsSourceCredentials {
  streamArn: string;
  region: string;
  /** @default 'TRIM_HORIZON' (applied when reading; never added to the stored source) */
  startingPosition?: StartingPosition;
}

export interface AmqpSource {
  /** `amqp://user:password@host:port/vhost`; the password is a secret, shown as `********`. */
  url: string;
  queueName: string;
}

export interface SourceByType {
  awskinesis: KinesisSource;
  awssqs: SqsSource;
  awsdynamodbstreams: DynamoDbStreamsSource;
  amqp: AmqpSource;
}

interface ConnectionOf<T extends SourceType> {
  space: string;
  connectionId: string;
  /**
   * The events API URL events are emitted to, path included. Absent or empty, or naming this gateway: events go
   * into the space's routing in-process. Omitted from output when it was not given.
   */
  target?: string;
  eventType: string;
  type: T;
  /** Exactly as given (secrets aside): clients compare it to decide what to re-create. */
  source: SourceByType[T];
  metadata?: Metadata;
}

export type Connection = { [T in SourceType]: ConnectionOf<T> }[SourceType];

export function isSourceType(value: string): value is SourceType {
  return (SOURCE_TYPES as readonly string[]).includes(value);
}

/** The starting position of a stream source (the default when the source does not set one). */
export function startingPositionOf(connection: Connection): StartingPosition {
  if (connection.type === 'awskinesis' || connection.type === 'awsdynamodbstreams') {
    return connection.source.startingPosition ?? DEFAULT_STARTING_POSITION;
  }
  return DEFAULT_STARTING_POSITION;
}

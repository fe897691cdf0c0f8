import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.js';

/**
 * Receives after which SQS moves a message to the DLQ: only poison messages and crashed or timed-out workers get
 * there (a failed delivery is retried as a new, delayed copy, so it never counts receives). AWS advises at least 5
 * for a Lambda event source; with `maxConcurrency` the poller does not receive messages it cannot hand to a
 * function, so throttling never burns receives. A poison message reaches the DLQ after 5 × the visibility
 * timeout (30 minutes), not 10 hours.
 */
export const MAX_RECEIVE_COUNT = 5;
/** How long the queue keeps a message; the DLQ keeps it longer (AWS's advice: expiry counts from the first send). */
export const QUEUE_RETENTION = Duration.days(4);
/** SQS's longest retention: a message moved to the DLQ near the end of its 4 days still has 10 days to be drained. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

export interface DeliveryQueueProps {
  /**
   * How long a received message stays hidden: the delivery Lambda's timeout times six, as AWS advises for an SQS
   * event source, so a batch is never handed out twice while it runs.
   */
  readonly visibilityTimeout: Duration;
  /** The same for the DLQ, whose consumer is the DLQ drainer. */
  readonly deadLetterVisibilityTimeout: Duration;
  /** @default a new customer-managed key with yearly rotation */
  readonly encryptionKey?: IKey;
  /** Keep the key when the stack is deleted. @default true */
  readonly retain?: boolean;
}

/**
 * The async fan-out queue and its safety-net DLQ. Both are encrypted with a KMS key and refuse requests without
 * TLS; the queue keeps messages {@link QUEUE_RETENTION}, the DLQ {@link DEAD_LETTER_RETENTION}. A message lands in the DLQ
 * after {@link MAX_RECEIVE_COUNT} receives; the DLQ drainer moves it on into the dead-letter table.
 */
export class DeliveryQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: DeliveryQueueProps) {
    super(scope, id);
    this.encryptionKey =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: 'Encrypts the event gateway delivery queue and its DLQ',
        enableKeyRotation: true,
        removalPolicy: props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
    const encryption = {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      // Fewer KMS calls at 10,000 events/s: the data key is reused for 5 minutes.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      // Messages are bundles of many items: SQS's largest message (the adapter fills bundles up to it).
      maxMessageSizeBytes: 1_048_576,
    };
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...encryption,
      retentionPeriod: DEAD_LETTER_RETENTION,
      visibilityTimeout: props.deadLetterVisibilityTimeout,
    });
    acknowledgeFinding(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is the DLQ of the delivery queue; the DLQ drainer moves its messages into the dead-letter table, which is the last stop.',
    );
    this.queue = new Queue(this, 'Queue', {
      ...encryption,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}

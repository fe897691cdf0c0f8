import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Receives after which SQS moves a message to the DLQ (design §2.3): only poison messages and crashed workers. */
export const MAX_RECEIVE_COUNT = 100;

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
 * The async fan-out queue and its safety-net DLQ (design §2.3, §4). Both are encrypted with a KMS key, refuse
 * requests without TLS, and keep messages for the longest time SQS allows (14 days). A message lands in the DLQ
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
      retentionPeriod: Duration.days(14),
      // Messages are bundles of many items: SQS's largest message (the adapter fills bundles up to it).
      maxMessageSizeBytes: 1_048_576,
    };
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', { ...encryption, visibilityTimeout: props.deadLetterVisibilityTimeout });
    this.queue = new Queue(this, 'Queue', {
      ...encryption,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}

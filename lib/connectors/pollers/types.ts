import type { Connection } from '../../core/connections/index.js';
import type { Logger } from '../../observability/logger.js';
import type { CheckpointStore } from '../../ports/checkpoint-store.js';
import type { RecordIntake } from '../intake.js';
import type { ConnectorMetrics } from '../metrics.js';

/** Timing knobs of the pollers; the defaults suit real services, tests shorten them. */
export interface PollerTiming {
  /** Pause after reading an empty batch from a shard that is caught up. @default 1000 (Kinesis allows 5 reads/s per shard) */
  idleMs?: number;
  /** How often a stream's shard list is read again, to find new shards. @default 10000 */
  shardRefreshMs?: number;
  /** SQS long-poll wait. @default 20 */
  sqsWaitSeconds?: number;
  /** Unacknowledged AMQP messages held at once (the channel's prefetch). @default 16 */
  amqpPrefetch?: number;
  /** Longest wait between attempts after a source error. @default 30000 */
  maxBackoffMs?: number;
}

/** What a poller needs; it runs until `signal` aborts, and acknowledges only what the intake resolved for. */
export interface PollerContext extends PollerTiming {
  connection: Connection;
  intake: RecordIntake;
  checkpoints: CheckpointStore;
  metrics: ConnectorMetrics;
  logger: Logger;
  signal: AbortSignal;
}

export type Poller = (context: PollerContext) => Promise<void>;

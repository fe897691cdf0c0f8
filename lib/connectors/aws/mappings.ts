import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CONNECTION_INVALID, type Connection } from '../../core/connections/index.js';
import { BadRequestError, ConflictError, InternalError, type HttpError } from '../../core/errors/index.js';
import type { Logger } from '../../observability/logger.js';
import type { ConnectionRuntime } from '../runtime.js';
import { accountOfFunction, mappingKey, mappingSourceOf, type MappingAccount, type MappingKind, type MappingSource } from './sources.js';

/** The settings a mapping of each kind is made with, and kept at (an update puts back what differs). */
export interface MappingSettings {
  BatchSize: number;
  MaximumBatchingWindowInSeconds?: number;
  /** The connector answers `batchItemFailures`: only the failed records are retried. */
  FunctionResponseTypes?: ['ReportBatchItemFailures'];
  /** Streams: a batch that fails as a whole is split in two, and each half retried, down to the failing record. */
  BisectBatchOnFunctionError?: boolean;
  /** Streams: -1, retry until it succeeds (a record is never skipped; one the gateway refuses becomes a dead letter). */
  MaximumRetryAttempts?: number;
  /** Streams: -1, never drop a record for its age. */
  MaximumRecordAgeInSeconds?: number;
}

const STREAM_SETTINGS: MappingSettings = {
  BatchSize: 100,
  MaximumBatchingWindowInSeconds: 0,
  FunctionResponseTypes: ['ReportBatchItemFailures'],
  BisectBatchOnFunctionError: true,
  MaximumRetryAttempts: -1,
  MaximumRecordAgeInSeconds: -1,
};

/**
 * By source: streams with partial failures, bisect and endless retries; SQS with partial failures (a message that
 * keeps failing goes to the queue's own DLQ by its redrive policy, if it has one); Amazon MQ retries a failed batch
 * as a whole (it takes neither partial failures nor bisect).
 */
export const MAPPING_SETTINGS: Readonly<Record<MappingKind, MappingSettings>> = {
  kinesis: STREAM_SETTINGS,
  dynamodb: STREAM_SETTINGS,
  sqs: { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, FunctionResponseTypes: ['ReportBatchItemFailures'] },
  rmq: { BatchSize: 100 },
};

export interface EventSourceMappingsOptions {
  client: LambdaClient;
  /** The connector function's ARN (unqualified): every mapping goes to it, and no other function's is touched. */
  functionArn: string;
  /** Every stored connection, of every space. */
  connections: () => Promise<readonly Connection[]>;
  logger: Logger;
}

/**
 * The connections' runtime on AWS: Lambda event source mappings from each source (Kinesis stream, DynamoDB stream,
 * SQS queue, Amazon MQ for RabbitMQ queue) to the connector function, which routes the batches into the gateway.
 * Lambda reads the shards and keeps their checkpoints; nothing polls here.
 *
 * Lambda allows one mapping per source and function, so connections that read the same source share its mapping
 * (the connector emits each record once per connection). Mappings are found by listing the connector's mappings,
 * never stored: every change reconciles all of them with the stored connections (create what is missing, delete what
 * no connection reads any more, put back settings that drifted), so a change that failed half-way, or two config-API
 * invocations racing, are set right by the next change.
 */
export class EventSourceMappings implements ConnectionRuntime {
  private readonly account: MappingAccount;

  constructor(private readonly options: EventSourceMappingsOptions) {
    this.account = accountOfFunction(options.functionArn);
  }

  /** The mapping a connection needs; throws a BadRequestError when no mapping can read it. */
  sourceOf(connection: Connection): MappingSource {
    return mappingSourceOf(connection, this.account);
  }

  check(connection: Connection): void {
    this.sourceOf(connection);
  }

  async apply(space: string, connectionId: string, connection: Connection | undefined): Promise<void> {
    const stored = await this.options.connections();
    // The change itself wins over what the listing shows (a store that is read eventually consistent).
    const others = stored.filter((c) => !(c.space === space && c.connectionId === connectionId));
    await this.reconcile(connection ? [...others, connection] : others, connection && this.sourceOf(connection).key);
  }

  sync(connections: readonly Connection[]): Promise<void> {
    return this.reconcile(connections, undefined);
  }

  async stop(): Promise<void> {
    // Nothing runs in this process.
  }

  /** The connector's mappings, every page. */
  async list(): Promise<EventSourceMappingConfiguration[]> {
    const mappings: EventSourceMappingConfiguration[] = [];
    let Marker: string | undefined;
    do {
      const out = await this.options.client.send(new ListEventSourceMappingsCommand({ FunctionName: this.options.functionArn, Marker }));
      mappings.push(...(out.EventSourceMappings ?? []));
      Marker = out.NextMarker;
    } while (Marker);
    return mappings;
  }

  /**
   * Makes the mappings those `connections` need. A failure about the source of `focus` (the connection being
   * changed) rejects, as an HttpError for the API to answer; others are logged and left for the next change.
   */
  private async reconcile(connections: readonly Connection[], focus: string | undefined): Promise<void> {
    const { logger } = this.options;
    const wanted = new Map<string, MappingSource>();
    for (const connection of connections) {
      try {
        const source = this.sourceOf(connection);
        if (!wanted.has(source.key)) wanted.set(source.key, source);
      } catch (error) {
        logger.warn({ space: connection.space, connectionId: connection.connectionId, err: error }, 'connection cannot be read by an event source mapping; skipped');
      }
    }
    const existing = new Map<string, EventSourceMappingConfiguration>();
    const changes: Array<{ key: string; run: () => Promise<unknown> }> = [];
    for (const mapping of await this.list()) {
      const key = keyOfMapping(mapping);
      if (mapping.State === 'Deleting') {
        if (wanted.has(key) && !existing.has(key)) existing.set(key, mapping);
        continue;
      }
      if (!wanted.has(key) || existing.has(key)) {
        changes.push({ key, run: () => this.delete(mapping) });
        continue;
      }
      existing.set(key, mapping);
    }
    for (const [key, source] of wanted) {
      const mapping = existing.get(key);
      if (!mapping) changes.push({ key, run: () => this.create(source) });
      else if (mapping.State === 'Deleting') changes.push({ key, run: () => Promise.reject(stillDeleting(source)) });
      else {
        const update = drift(mapping, source);
        if (update) changes.push({ key, run: () => this.update(mapping, update) });
      }
    }
    const results = await Promise.allSettled(changes.map((c) => c.run()));
    let failure: HttpError | undefined;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const { key } = changes[i]!;
      const error = httpErrorOf(result.reason, wanted.get(key));
      if (key === focus) failure ??= error;
      else logger.error({ source: key.split('\n')[0], err: result.reason }, 'reconciling an event source mapping failed; the next change retries it');
    });
    if (failure) throw failure;
  }

  private async create(source: MappingSource): Promise<void> {
    const out = await this.options.client.send(
      new CreateEventSourceMappingCommand({
        FunctionName: this.options.functionArn,
        EventSourceArn: source.eventSourceArn,
        Enabled: true,
        ...(source.startingPosition ? { StartingPosition: source.startingPosition } : {}),
        ...(source.queues ? { Queues: source.queues } : {}),
        ...(source.sourceAccessConfigurations ? { SourceAccessConfigurations: source.sourceAccessConfigurations } : {}),
        ...MAPPING_SETTINGS[source.kind],
      }),
    );
    this.options.logger.info({ source: source.eventSourceArn, uuid: out.UUID }, 'event source mapping created');
  }

  private async update(mapping: EventSourceMappingConfiguration, update: Partial<MappingSettings> & { Enabled?: boolean }): Promise<void> {
    await this.options.client.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, FunctionName: this.options.functionArn, ...update }));
    this.options.logger.info({ source: mapping.EventSourceArn, uuid: mapping.UUID, update }, 'event source mapping updated');
  }

  private async delete(mapping: EventSourceMappingConfiguration): Promise<void> {
    try {
      await this.options.client.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return; // another invocation was first
      throw error;
    }
    this.options.logger.info({ source: mapping.EventSourceArn, uuid: mapping.UUID }, 'event source mapping deleted');
  }
}

/** The {@link MappingSource.key} of a listed mapping. */
function keyOfMapping(mapping: EventSourceMappingConfiguration): string {
  const arn = mapping.EventSourceArn ?? '';
  const queue = mapping.Queues?.[0];
  if (queue === undefined) return mappingKey(arn);
  const virtualHost = mapping.SourceAccessConfigurations?.find((c) => c.Type === 'VIRTUAL_HOST')?.URI ?? '/';
  return mappingKey(arn, { virtualHost, queue });
}

/** What an update must put back: the settings that differ from {@link MAPPING_SETTINGS}, a disabled mapping, a new secret. */
function drift(mapping: EventSourceMappingConfiguration, source: MappingSource): (Partial<MappingSettings> & { Enabled?: boolean; SourceAccessConfigurations?: MappingSource['sourceAccessConfigurations'] }) | undefined {
  const update: Record<string, unknown> = {};
  const settings = MAPPING_SETTINGS[source.kind] as unknown as Record<string, unknown>;
  const current = mapping as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(settings)) {
    if (JSON.stringify(current[name] ?? null) !== JSON.stringify(value)) update[name] = value;
  }
  if (mapping.State === 'Disabled' || mapping.State === 'Disabling') update['Enabled'] = true;
  const secret = source.sourceAccessConfigurations?.find((c) => c.Type === 'BASIC_AUTH')?.URI;
  if (secret !== undefined && mapping.SourceAccessConfigurations?.find((c) => c.Type === 'BASIC_AUTH')?.URI !== secret) {
    update['SourceAccessConfigurations'] = source.sourceAccessConfigurations;
  }
  return Object.keys(update).length > 0 ? update : undefined;
}

function stillDeleting(source: MappingSource): Error {
  return Object.assign(new Error(`the previous event source mapping of ${source.eventSourceArn} is still being deleted`), { name: 'MappingStillDeleting' });
}

/**
 * A failed Lambda call as the API's answer: what the user can fix (the source does not exist, the connector's role
 * may not read it, an SQS queue whose visibility timeout is shorter than the connector's timeout) is a 400 with
 * Lambda's own words; a mapping still being deleted a 409; anything else (no connector function, no permission to
 * make mappings) a 500 for the operator.
 */
function httpErrorOf(error: unknown, source: MappingSource | undefined): HttpError {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  const of = source ? ` of ${source.eventSourceArn}` : '';
  if (name === 'InvalidParameterValueException') {
    return new BadRequestError(`${CONNECTION_INVALID}the event source mapping${of} could not be made: ${message}`);
  }
  if (name === 'MappingStillDeleting') return new ConflictError(`${message}; try again in a minute`);
  if (name === 'ResourceConflictException' || name === 'ResourceInUseException') {
    return new ConflictError(`the event source mapping${of} is being changed (${message}); try again in a minute`);
  }
  return new InternalError(`the event source mapping${of} could not be made: ${name ? `${name}: ` : ''}${message}`);
}

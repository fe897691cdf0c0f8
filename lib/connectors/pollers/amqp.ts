import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { AmqpSource, SourceRecord } from '../../core/connections/index.js';
import { amqpSourceName } from '../records.js';
import { Backoff, pause, sourceError } from './support.js';
import type { PollerContext } from './types.js';

/**
 * Consumes an AMQP 0-9-1 queue (RabbitMQ) with manual acknowledgement and a bounded prefetch. A message is acked only
 * once the gateway accepted (or dead-lettered) its event; a stop or a lost connection leaves the rest unacked, and
 * the broker delivers them again. The event id is the message's `message_id` when the publisher set one (then a
 * redelivery has the same id); AMQP has no other stable position.
 */
export async function pollAmqp(context: PollerContext): Promise<void> {
  const { connection, signal } = context;
  const source = connection.source as AmqpSource;
  const backoff = new Backoff(context.maxBackoffMs ?? 30_000);
  const eventSource = amqpSourceName(source);
  while (!signal.aborted) {
    let model: ChannelModel | undefined;
    try {
      model = await connect(source.url);
      const channel = await model.createChannel();
      const lost = new Promise<Error | undefined>((resolve) => {
        model?.on('error', (error: Error) => resolve(error));
        model?.on('close', (error?: Error) => resolve(error ?? new Error('connection closed')));
        channel.on('error', (error: Error) => resolve(error));
        channel.on('close', () => resolve(new Error('channel closed')));
      });
      await channel.prefetch(context.amqpPrefetch ?? 16);
      const inFlight = new Set<Promise<void>>();
      await channel.consume(
        source.queueName,
        (message) => {
          if (message === null) return; // cancelled by the broker (queue deleted): the close handler reconnects
          const handling = handle(context, channel, message, eventSource).finally(() => inFlight.delete(handling));
          inFlight.add(handling);
        },
        { noAck: false },
      );
      backoff.reset();
      const stopped = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      const error = await Promise.race([lost, stopped]);
      if (signal.aborted) {
        await Promise.allSettled(inFlight);
        return;
      }
      sourceError(context, error, 'the AMQP connection was lost; reconnecting');
    } catch (error) {
      if (signal.aborted) return;
      sourceError(context, error, 'consuming from the AMQP queue failed; retrying');
    } finally {
      await model?.close().catch(() => {});
    }
    await pause(backoff.take(), signal);
  }
}

async function handle(context: PollerContext, channel: Channel, message: ConsumeMessage, eventSource: string): Promise<void> {
  const id = message.properties.messageId as unknown;
  const timestamp = Number(message.properties.timestamp);
  const record: SourceRecord = {
    eventId: typeof id === 'string' && id !== '' ? id : randomUUID(),
    source: eventSource,
    data: message.content,
    ...(Number.isFinite(timestamp) && timestamp > 0 ? { time: new Date(timestamp * 1000) } : {}),
  };
  try {
    await context.intake.handle(context.connection, [record], context.signal);
  } catch {
    return; // stopping: not acked, so the broker delivers it again
  }
  try {
    channel.ack(message);
  } catch (error) {
    sourceError(context, error, 'acknowledging an accepted message failed; the broker will deliver it again');
  }
}

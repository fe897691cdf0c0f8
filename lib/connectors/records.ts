import type { AmqpSource } from '../core/connections/index.js';

/** `amqp://host:port/<vhost>/<queue>`, without credentials: the `source` of events from an AMQP queue. */
export function amqpSourceName(source: Pick<AmqpSource, 'url' | 'queueName'>): string {
  try {
    const url = new URL(source.url);
    const vhost = url.pathname.length > 1 ? url.pathname.slice(1) : '%2F';
    return `${url.protocol}//${url.host}/${vhost}/${encodeURIComponent(source.queueName)}`;
  } catch {
    return `amqp:///${encodeURIComponent(source.queueName)}`;
  }
}

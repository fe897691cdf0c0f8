import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsSourceCredentials } from '../../core/connections/index.js';
import type { PollerContext } from './types.js';

/**
 * SDK v3 client settings for a source: its region and, when given, its credentials (else the default chain). No
 * endpoint is set, so the SDK's per-service variables (`AWS_ENDPOINT_URL_KINESIS`, `AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`) point the clients at other servers, as the SDK documents.
 */
export function sourceClientConfig(source: AwsSourceCredentials & { region: string }) {
  const { awsAccessKeyId, awsSecretAccessKey, awsSessionToken } = source;
  return {
    region: source.region,
    maxAttempts: 3,
    ...(awsAccessKeyId && awsSecretAccessKey
      ? { credentials: { accessKeyId: awsAccessKeyId, secretAccessKey: awsSecretAccessKey, ...(awsSessionToken ? { sessionToken: awsSessionToken } : {}) } }
      : {}),
  };
}

/** Waits, or returns false at once when the poller is stopping. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Exponential back-off after source errors: 200 ms doubling up to `maxBackoffMs`. */
export class Backoff {
  private next = 200;
  constructor(private readonly max: number) {}
  reset(): void {
    this.next = 200;
  }
  take(): number {
    const wait = this.next;
    this.next = Math.min(this.next * 2, this.max);
    return wait;
  }
}

/** Counts and logs a source error. */
export function sourceError(context: PollerContext, error: unknown, what: string, extra: Record<string, unknown> = {}): void {
  const { connection } = context;
  context.metrics.error(connection.space, connection.connectionId, 'source');
  context.logger.warn({ space: connection.space, connectionId: connection.connectionId, ...extra, err: error }, what);
}

import { randomUUID } from 'node:crypto';
import type { KinesisClient, KinesisClientConfig } from '@aws-sdk/client-kinesis';
import type { KinesisProvider } from '../../core/model/types.js';
import { AwsInvoker } from './aws-invoker.js';
import type { AwsInvokerOptions, ClientSettings } from './settings.js';

type KinesisSdk = typeof import('@aws-sdk/client-kinesis');

/**
 * Note: the Kinesis client speaks HTTP/2 by default. For a server that speaks only HTTP/1.1 (kinesalite), pass
 * `clientConfig: { requestHandler: new NodeHttpHandler() }` from `@smithy/node-http-handler`.
 */
export type KinesisInvokerOptions = AwsInvokerOptions<KinesisClientConfig>;

/**
 * Puts events into `type: "awskinesis"` streams (docs/compatibility.md#function-types): `PutRecord`, random partition
 * key; the result is the sequence number.
 */
export class KinesisInvoker extends AwsInvoker<'awskinesis', KinesisSdk, KinesisClient> {
  readonly type = 'awskinesis' as const;
  private readonly clientConfig: Partial<KinesisClientConfig>;

  constructor(options: KinesisInvokerOptions = {}) {
    super(options);
    this.clientConfig = options.clientConfig ?? {};
  }

  protected loadSdk(): Promise<KinesisSdk> {
    return import('@aws-sdk/client-kinesis');
  }

  protected createClient(sdk: KinesisSdk, settings: ClientSettings): KinesisClient {
    return new sdk.KinesisClient({ ...this.clientConfig, ...settings });
  }

  protected async call(
    sdk: KinesisSdk,
    client: KinesisClient,
    provider: KinesisProvider,
    payload: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const command = new sdk.PutRecordCommand({
      StreamName: provider.streamName,
      Data: Buffer.from(payload),
      PartitionKey: randomUUID(),
    });
    const output = await client.send(command, { abortSignal });
    return Buffer.from(output.SequenceNumber ?? '');
  }
}

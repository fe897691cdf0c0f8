import type { FirehoseClient, FirehoseClientConfig } from '@aws-sdk/client-firehose';
import type { FirehoseProvider } from '../../core/model/types.js';
import { AwsInvoker } from './aws-invoker.js';
import type { AwsInvokerOptions, ClientSettings } from './settings.js';

type FirehoseSdk = typeof import('@aws-sdk/client-firehose');

export type FirehoseInvokerOptions = AwsInvokerOptions<FirehoseClientConfig>;

/**
 * Puts events into `type: "awsfirehose"` delivery streams (docs/compatibility.md#function-types): `PutRecord`, no
 * newline added; the result is the RecordId.
 */
export class FirehoseInvoker extends AwsInvoker<'awsfirehose', FirehoseSdk, FirehoseClient> {
  readonly type = 'awsfirehose' as const;
  private readonly clientConfig: Partial<FirehoseClientConfig>;

  constructor(options: FirehoseInvokerOptions = {}) {
    super(options);
    this.clientConfig = options.clientConfig ?? {};
  }

  protected loadSdk(): Promise<FirehoseSdk> {
    return import('@aws-sdk/client-firehose');
  }

  protected createClient(sdk: FirehoseSdk, settings: ClientSettings): FirehoseClient {
    return new sdk.FirehoseClient({ ...this.clientConfig, ...settings });
  }

  protected async call(
    sdk: FirehoseSdk,
    client: FirehoseClient,
    provider: FirehoseProvider,
    payload: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const command = new sdk.PutRecordCommand({
      DeliveryStreamName: provider.deliveryStreamName,
      Record: { Data: Buffer.from(payload) },
    });
    const output = await client.send(command, { abortSignal });
    return Buffer.from(output.RecordId ?? '');
  }
}

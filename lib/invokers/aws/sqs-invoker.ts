import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import type { SqsProvider } from '../../core/model/types.js';
import { AwsInvoker } from './aws-invoker.js';
import type { AwsInvokerOptions, ClientSettings } from './settings.js';

type SqsSdk = typeof import('@aws-sdk/client-sqs');

export type SqsInvokerOptions = AwsInvokerOptions<SQSClientConfig>;

/**
 * Sends events to `type: "awssqs"` queues (docs/compatibility.md#function-types): `SendMessage`; the result is the
 * MessageId.
 */
export class SqsInvoker extends AwsInvoker<'awssqs', SqsSdk, SQSClient> {
  readonly type = 'awssqs' as const;
  private readonly clientConfig: Partial<SQSClientConfig>;

  constructor(options: SqsInvokerOptions = {}) {
    super(options);
    this.clientConfig = options.clientConfig ?? {};
  }

  protected loadSdk(): Promise<SqsSdk> {
    return import('@aws-sdk/client-sqs');
  }

  protected createClient(sdk: SqsSdk, settings: ClientSettings): SQSClient {
    return new sdk.SQSClient({ ...this.clientConfig, ...settings });
  }

  protected async call(
    sdk: SqsSdk,
    client: SQSClient,
    provider: SqsProvider,
    payload: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const command = new sdk.SendMessageCommand({ QueueUrl: provider.queueUrl, MessageBody: payload });
    const output = await client.send(command, { abortSignal });
    return Buffer.from(output.MessageId ?? '');
  }
}

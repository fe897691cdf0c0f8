import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { LambdaProvider } from '../../core/model/types.js';
import { InvocationError, type InvocationErrorKind } from '../../core/response/index.js';
import { AwsInvoker } from './aws-invoker.js';
import { lambdaErrorKind } from './errors.js';
import type { AwsInvokerOptions, ClientSettings } from './settings.js';

type LambdaSdk = typeof import('@aws-sdk/client-lambda');

export type LambdaInvokerOptions = AwsInvokerOptions<LambdaClientConfig>;

/** The most of a function's error payload kept in the error's text (it lands in logs and dead letters). */
export const MAX_FUNCTION_ERROR_TEXT = 4096;

/**
 * Calls `type: "awslambda"` functions (docs/compatibility.md#function-types): `Invoke` with `RequestResponse`; the
 * result is the response payload. A `FunctionError` in the answer is the function's own error; AWS errors are classed
 * as the original did.
 */
export class LambdaInvoker extends AwsInvoker<'awslambda', LambdaSdk, LambdaClient> {
  readonly type = 'awslambda' as const;
  private readonly clientConfig: Partial<LambdaClientConfig>;

  constructor(options: LambdaInvokerOptions = {}) {
    super(options);
    this.clientConfig = options.clientConfig ?? {};
  }

  protected loadSdk(): Promise<LambdaSdk> {
    return import('@aws-sdk/client-lambda');
  }

  protected createClient(sdk: LambdaSdk, settings: ClientSettings): LambdaClient {
    return new sdk.LambdaClient({ ...this.clientConfig, ...settings });
  }

  protected async call(
    sdk: LambdaSdk,
    client: LambdaClient,
    provider: LambdaProvider,
    payload: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const command = new sdk.InvokeCommand({ FunctionName: provider.arn, InvocationType: 'RequestResponse', Payload: payload });
    const output = await client.send(command, { abortSignal });
    const result = output.Payload;
    // The SDK gives null (not undefined, whatever its types say) for an empty payload.
    const body = result == null ? Buffer.alloc(0) : Buffer.from(result.buffer, result.byteOffset, result.byteLength);
    if (output.FunctionError) {
      throw new InvocationError('function-error', functionErrorText(output.FunctionError, body), { code: output.FunctionError });
    }
    return body;
  }

  protected override errorKind(code: string): InvocationErrorKind {
    return lambdaErrorKind(code);
  }
}

/** The original's text (`Unhandled`), then what the function reported (`{"errorMessage":…}`), shortened. */
function functionErrorText(functionError: string, payload: Buffer): string {
  if (payload.length === 0) return functionError;
  const text = payload.toString('utf8');
  return `${functionError}: ${text.length > MAX_FUNCTION_ERROR_TEXT ? `${text.slice(0, MAX_FUNCTION_ERROR_TEXT)}…` : text}`;
}

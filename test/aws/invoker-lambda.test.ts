import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FunctionConfig, LambdaProvider } from '../../lib/core/model/types.js';
import { InvocationError, syncInvocationErrorMessage } from '../../lib/core/response/index.js';
import { InvokerRegistry, classifyInvocationError } from '../../lib/dispatch/index.js';
import { DEFAULT_AWS_CALL_TIMEOUT_MS, LambdaInvoker } from '../../lib/invokers/aws/index.js';
import { DEREGISTRATION_DELAY, LOAD_BALANCER_IDLE_TIMEOUT } from '../../lib/infra/router/service.js';
import { FakeLambda } from './fakes/lambda.js';

const GENERIC = 'Function call failed. Please check logs.';
// docs/compatibility.md#sync-responses, byte for byte.
const ACCESS_DENIED_SYNC_MESSAGES: Readonly<Record<string, string>> = {
  AccessDeniedException:
    'Function call failed with AccessDeniedException. The provided credentials do not have the required IAM permissions to invoke this function. Please attach the lambda:invokeFunction permission to these credentials.',
  UnrecognizedClientException:
    'Function call failed with UnrecognizedClientException. The provided credentials are invalid. Please provide valid credentials.',
  ExpiredTokenException:
    'Function call failed with ExpiredTokenException. The provided security token for the function has expired. Please provide an updated security token or provide permanent credentials.',
};

function lambdaFunction(arn: string, provider: Partial<LambdaProvider> = {}): FunctionConfig {
  return { space: 'default', functionId: 'fn', type: 'awslambda', provider: { arn, region: 'us-east-1', ...provider } };
}

async function invocationError(promise: Promise<unknown>): Promise<InvocationError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InvocationError, `expected an InvocationError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

describe('LambdaInvoker against a fake of Lambda Invoke', () => {
  let fake: FakeLambda;
  let invoker: LambdaInvoker;

  before(async () => {
    fake = await FakeLambda.start();
    invoker = new LambdaInvoker({ endpoint: fake.endpoint, maxAttempts: 1 });
  });
  afterEach(() => fake.reset());
  after(async () => {
    await invoker.close();
    await fake.stop();
  });

  describe('success', () => {
    it('[lambda] invokes the function by its ARN with RequestResponse and returns its payload', async () => {
      fake.setFunction('greeter', { payload: '{"statusCode":201,"body":"hi"}' });
      const result = await invoker.invoke(lambdaFunction(fake.arn('greeter')), { payload: '{"eventType":"user.created"}' });

      assert.equal(result.status, 200);
      assert.equal(result.body.toString(), '{"statusCode":201,"body":"hi"}');
      assert.equal(fake.invocations.length, 1);
      const [invocation] = fake.invocations;
      assert.equal(invocation?.functionName, fake.arn('greeter'));
      assert.equal(invocation?.invocationType, 'RequestResponse');
      assert.equal(invocation?.payload.toString(), '{"eventType":"user.created"}');
      assert.equal(invocation?.signer?.service, 'lambda');
      assert.equal(invocation?.signer?.region, 'us-east-1');
    });

    it('[lambda] passes the payload bytes through unchanged, multi-byte characters included', async () => {
      fake.setFunction('echo');
      const payload = '{"data":"zoë ☃ 😀","n":1}';
      const result = await invoker.invoke(lambdaFunction(fake.arn('echo')), { payload });
      assert.equal(result.body.toString('utf8'), payload);
      assert.deepEqual(fake.invocations[0]?.payload, Buffer.from(payload));
    });

    it('[lambda] returns an empty body when the function returns no payload', async () => {
      fake.setFunction('silent', { payload: '' });
      const result = await invoker.invoke(lambdaFunction(fake.arn('silent')), { payload: '{}' });
      assert.deepEqual(result, { status: 200, body: Buffer.alloc(0) });
    });

    it("[lambda] signs with the function's own keys and region when both keys are given", async () => {
      fake.setFunction('keyed');
      const fn = lambdaFunction(fake.arn('keyed', 'eu-west-1'), {
        region: 'eu-west-1',
        awsAccessKeyId: 'AKIDSTATIC',
        awsSecretAccessKey: 'static-secret',
        awsSessionToken: 'static-token',
      });
      await invoker.invoke(fn, { payload: '{}' });
      const signer = fake.invocations[0]?.signer;
      assert.equal(signer?.accessKeyId, 'AKIDSTATIC');
      assert.equal(signer?.region, 'eu-west-1');
      assert.equal(signer?.sessionToken, 'static-token');
    });

    it('[lambda] signs with the default credential chain when the secret key is missing', async () => {
      fake.setFunction('unkeyed');
      await invoker.invoke(lambdaFunction(fake.arn('unkeyed'), { awsAccessKeyId: 'AKIDSTATIC' }), { payload: '{}' });
      assert.equal(fake.invocations[0]?.signer?.accessKeyId, process.env['AWS_ACCESS_KEY_ID']);
      assert.notEqual(fake.invocations[0]?.signer?.accessKeyId, 'AKIDSTATIC');
    });

    it('[lambda] is the invoker InvokerRegistry chooses for awslambda functions', async () => {
      fake.setFunction('routed', { payload: '"routed"' });
      const invokers = new InvokerRegistry([invoker]);
      const called = await invokers.callSync(lambdaFunction(fake.arn('routed')), { payload: '{}' });
      assert.ok(called.ok);
      assert.equal(called.body.toString(), '"routed"');
    });
  });

  describe('function errors (permanent, docs/compatibility.md#function-types "runtime error")', () => {
    for (const functionError of ['Unhandled', 'Handled'] as const) {
      it(`[lambda] a ${functionError} function error is a permanent function-error carrying the error payload`, async () => {
        const payload = '{"errorType":"Error","errorMessage":"boom","trace":[]}';
        fake.setFunction('failing', { payload, functionError });
        const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('failing')), { payload: '{}' }));

        assert.equal(error.kind, 'function-error');
        assert.equal(error.code, functionError);
        assert.equal(error.message, `Function call failed because of runtime error. Error: ${functionError}: ${payload}`);
        assert.equal(classifyInvocationError(error), 'permanent');
        assert.equal(syncInvocationErrorMessage(error), GENERIC);
      });
    }

    it('[lambda] a function error without a payload reads as the original did', async () => {
      fake.setFunction('failing', { payload: '', functionError: 'Unhandled' });
      const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('failing')), { payload: '{}' }));
      assert.equal(error.message, 'Function call failed because of runtime error. Error: Unhandled');
    });

    it('[lambda] a very large error payload is shortened in the error text', async () => {
      fake.setFunction('failing', { payload: `"${'x'.repeat(10_000)}"`, functionError: 'Unhandled' });
      const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('failing')), { payload: '{}' }));
      assert.equal(error.detail, `Unhandled: "${'x'.repeat(4095)}…`);
    });
  });

  describe('access denied (permanent, docs/compatibility.md#sync-responses messages)', () => {
    for (const [code, syncMessage] of Object.entries(ACCESS_DENIED_SYNC_MESSAGES)) {
      it(`[lambda] ${code} is a permanent access-denied error and gives the original's sync message`, async () => {
        fake.setFunction('guarded', { error: code, message: 'The security token included in the request is invalid.' });
        const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('guarded')), { payload: '{}' }));

        assert.equal(error.kind, 'access-denied');
        assert.equal(error.code, code);
        assert.equal(error.message, `Function access denied. Error: ${code}: The security token included in the request is invalid.`);
        assert.equal(classifyInvocationError(error), 'permanent');
        assert.equal(syncInvocationErrorMessage(error), syncMessage);
        assert.equal(fake.invocations.length, 1);
      });
    }
  });

  describe('retryable failures', () => {
    it('[lambda] ServiceException is a retryable provider error', async () => {
      fake.setFunction('broken', { error: 'ServiceException', message: 'Lambda was unable to process the request.' });
      const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('broken')), { payload: '{}' }));

      assert.equal(error.kind, 'provider-error');
      assert.equal(error.code, 'ServiceException');
      assert.equal(
        error.message,
        'Function call failed because of provider error. Error: ServiceException: Lambda was unable to process the request.',
      );
      assert.equal(classifyInvocationError(error), 'retry');
      assert.equal(syncInvocationErrorMessage(error), GENERIC);
    });

    it('[lambda] throttling (429 TooManyRequestsException) is a retryable call failure with its code and Retry-After', async () => {
      fake.setFunction('busy', { error: 'TooManyRequestsException', message: 'Rate Exceeded.', retryAfterSeconds: 7 });
      const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('busy')), { payload: '{}' }));

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, 'TooManyRequestsException');
      assert.equal(error.retryAfterMs, 7000);
      assert.equal(error.message, 'Function call failed. Error: TooManyRequestsException: Rate Exceeded.');
      assert.equal(classifyInvocationError(error), 'retry');
      assert.equal(syncInvocationErrorMessage(error), GENERIC);
    });

    it('[lambda] ThrottlingException is a retryable call failure with its code', async () => {
      fake.setFunction('busy', { error: 'ThrottlingException', status: 429, message: 'Rate exceeded' });
      const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('busy')), { payload: '{}' }));

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, 'ThrottlingException');
      assert.equal(error.retryAfterMs, undefined);
      assert.equal(error.message, 'Function call failed. Error: ThrottlingException: Rate exceeded');
      assert.equal(classifyInvocationError(error), 'retry');
    });

    it("[lambda] the SDK's own retry policy retries throttling within one call, up to maxAttempts", async () => {
      const retrying = new LambdaInvoker({ endpoint: fake.endpoint, maxAttempts: 2 });
      try {
        fake.setFunction('busy', { error: 'TooManyRequestsException', message: 'Rate Exceeded.' });
        const error = await invocationError(retrying.invoke(lambdaFunction(fake.arn('busy')), { payload: '{}' }));
        assert.equal(error.code, 'TooManyRequestsException');
        assert.equal(fake.invocations.length, 2);
      } finally {
        await retrying.close();
      }
    });

    it('[lambda] a missing function (404 ResourceNotFoundException) is a retryable call failure', async () => {
      const arn = fake.arn('nowhere');
      const error = await invocationError(invoker.invoke(lambdaFunction(arn), { payload: '{}' }));

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.code, 'ResourceNotFoundException');
      assert.equal(error.message, `Function call failed. Error: ResourceNotFoundException: Function not found: ${arn}`);
      assert.equal(classifyInvocationError(error), 'retry');
      assert.equal(syncInvocationErrorMessage(error), GENERIC);
    });

    it('[lambda] a refused connection is a retryable call failure with the socket error', async () => {
      const unreachable = new LambdaInvoker({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
      try {
        const error = await invocationError(unreachable.invoke(lambdaFunction(fake.arn('x')), { payload: '{}' }));
        assert.equal(error.kind, 'call-failed');
        assert.equal(error.code, undefined);
        assert.match(error.message, /^Function call failed\. Error: connect ECONNREFUSED 127\.0\.0\.1:1/);
        assert.equal(classifyInvocationError(error), 'retry');
      } finally {
        await unreachable.close();
      }
    });
  });

  describe('timeouts and cancellation', () => {
    it('[lambda] timeoutMs bounds the call: a retryable timeout, settled at once', async () => {
      fake.setFunction('slow', { delayMs: 2000 });
      const started = Date.now();
      const error = await invocationError(invoker.invoke(lambdaFunction(fake.arn('slow')), { payload: '{}', timeoutMs: 100 }));

      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.equal(error.kind, 'timeout');
      assert.equal(error.message, 'Function call failed. Error: context deadline exceeded');
      assert.equal(classifyInvocationError(error), 'retry');
    });

    it("[lambda] timeoutMs bounds the call while the SDK waits out a Retry-After between its own attempts", async () => {
      const retrying = new LambdaInvoker({ endpoint: fake.endpoint, maxAttempts: 3 });
      try {
        fake.setFunction('busy', { error: 'TooManyRequestsException', message: 'Rate Exceeded.', retryAfterSeconds: 2 });
        const started = Date.now();
        const error = await invocationError(
          retrying.invoke(lambdaFunction(fake.arn('busy')), { payload: '{}', timeoutMs: 300 }),
        );
        assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
        assert.equal(error.kind, 'timeout');
        assert.equal(fake.invocations.length, 1);
      } finally {
        await retrying.close();
      }
    });

    it('[lambda] without timeoutMs the call waits for the function up to the default bound', async () => {
      fake.setFunction('slow', { delayMs: 300, payload: '"late"' });
      const result = await invoker.invoke(lambdaFunction(fake.arn('slow')), { payload: '{}' });
      assert.equal(result.body.toString(), '"late"');
    });

    it('[lambda] without timeoutMs a call is still bounded, below the load balancer idle timeout and the deregistration delay', async () => {
      assert.ok(DEFAULT_AWS_CALL_TIMEOUT_MS < LOAD_BALANCER_IDLE_TIMEOUT.toMilliseconds());
      assert.ok(DEFAULT_AWS_CALL_TIMEOUT_MS < DEREGISTRATION_DELAY.toMilliseconds());
      const bounded = new LambdaInvoker({ endpoint: fake.endpoint, maxAttempts: 1, defaultTimeoutMs: 150 });
      try {
        fake.setFunction('slow', { delayMs: 2000 });
        const started = Date.now();
        const error = await invocationError(bounded.invoke(lambdaFunction(fake.arn('slow')), { payload: '{}' }));
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
        assert.equal(error.kind, 'timeout');
      } finally {
        await bounded.close();
      }
    });

    it("[lambda] the caller's signal cancels the call in flight as a retryable call failure", async () => {
      fake.setFunction('slow', { delayMs: 2000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const error = await invocationError(
        invoker.invoke(lambdaFunction(fake.arn('slow')), { payload: '{}', signal: controller.signal }),
      );
      assert.equal(error.kind, 'call-failed');
      assert.equal(error.message, 'Function call failed. Error: context canceled');
      assert.equal(classifyInvocationError(error), 'retry');
    });

    it('[lambda] an already aborted signal fails without calling the function', async () => {
      fake.setFunction('echo');
      const error = await invocationError(
        invoker.invoke(lambdaFunction(fake.arn('echo')), { payload: '{}', signal: AbortSignal.abort() }),
      );
      assert.equal(error.message, 'Function call failed. Error: context canceled');
      assert.equal(fake.invocations.length, 0);
    });
  });

  describe('misuse', () => {
    it('[lambda] refuses a function of another type', async () => {
      const fn: FunctionConfig = { space: 'default', functionId: 'web', type: 'http', provider: { url: 'http://127.0.0.1:1/' } };
      const error = await invocationError(invoker.invoke(fn, { payload: '{}' }));
      assert.equal(error.message, 'Function call failed. Error: function type "http" is not handled by the awslambda invoker');
    });

    it('[lambda] after close() its clients are gone and calls fail', async () => {
      const closing = new LambdaInvoker({ endpoint: fake.endpoint, maxAttempts: 1 });
      fake.setFunction('echo');
      await closing.invoke(lambdaFunction(fake.arn('echo')), { payload: '{}' });
      assert.equal(closing.clientCount, 1);
      await closing.close();
      assert.equal(closing.clientCount, 0);
      const error = await invocationError(closing.invoke(lambdaFunction(fake.arn('echo')), { payload: '{}' }));
      assert.equal(error.message, 'Function call failed. Error: the invoker is closed');
      assert.equal(fake.invocations.length, 1);
    });
  });
});

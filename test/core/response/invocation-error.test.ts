import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvocationError, syncInvocationErrorMessage } from '../../../lib/core/response/index.js';
import type { InvocationErrorKind } from '../../../lib/core/response/index.js';

const GENERIC = 'Function call failed. Please check logs.';

describe('Class: InvocationError', () => {
  it('carries the original\'s message for each error class (docs/compatibility.md#function-types)', () => {
    const expected: Record<InvocationErrorKind, string> = {
      'call-failed': 'Function call failed. Error: connect ECONNREFUSED 127.0.0.1:1',
      timeout: 'Function call failed. Error: connect ECONNREFUSED 127.0.0.1:1',
      'access-denied': 'Function access denied. Error: connect ECONNREFUSED 127.0.0.1:1',
      'provider-error': 'Function call failed because of provider error. Error: connect ECONNREFUSED 127.0.0.1:1',
      'function-error': 'Function call failed because of runtime error. Error: connect ECONNREFUSED 127.0.0.1:1',
    };

    for (const [kind, message] of Object.entries(expected) as Array<[InvocationErrorKind, string]>) {
      const error = new InvocationError(kind, 'connect ECONNREFUSED 127.0.0.1:1');
      assert.equal(error.message, message);
      assert.equal(error.kind, kind);
      assert.equal(error.detail, 'connect ECONNREFUSED 127.0.0.1:1');
    }
  });

  it('keeps the AWS code, HTTP status, Retry-After and cause it was given', () => {
    const cause = new Error('socket hang up');

    const error = new InvocationError('function-error', 'HTTP status code: 500', {
      code: 'Unhandled',
      status: 500,
      retryAfterMs: 2000,
      cause,
    });

    assert.equal(error.message, 'Function call failed because of runtime error. Error: HTTP status code: 500');
    assert.equal(error.code, 'Unhandled');
    assert.equal(error.status, 500);
    assert.equal(error.retryAfterMs, 2000);
    assert.equal(error.cause, cause);
    assert.equal(error.name, 'InvocationError');
    assert.ok(error instanceof Error);
  });

  it('leaves the optional fields undefined when not given', () => {
    const error = new InvocationError('timeout', 'timed out after 5000 ms');

    assert.equal(error.code, undefined);
    assert.equal(error.status, undefined);
    assert.equal(error.retryAfterMs, undefined);
    assert.equal('cause' in error, false);
  });
});

describe('Function: syncInvocationErrorMessage', () => {
  it('explains a Lambda AccessDeniedException', () => {
    const error = new InvocationError('access-denied', 'denied', { code: 'AccessDeniedException' });

    assert.equal(
      syncInvocationErrorMessage(error),
      'Function call failed with AccessDeniedException. The provided credentials do not have the required IAM ' +
        'permissions to invoke this function. Please attach the lambda:invokeFunction permission to these credentials.',
    );
  });

  it('explains a Lambda UnrecognizedClientException', () => {
    const error = new InvocationError('access-denied', 'bad key', { code: 'UnrecognizedClientException' });

    assert.equal(
      syncInvocationErrorMessage(error),
      'Function call failed with UnrecognizedClientException. The provided credentials are invalid. Please provide ' +
        'valid credentials.',
    );
  });

  it('explains a Lambda ExpiredTokenException', () => {
    const error = new InvocationError('access-denied', 'expired', { code: 'ExpiredTokenException' });

    assert.equal(
      syncInvocationErrorMessage(error),
      'Function call failed with ExpiredTokenException. The provided security token for the function has expired. ' +
        'Please provide an updated security token or provide permanent credentials.',
    );
  });

  it('gives the generic message for every other invocation failure', () => {
    for (const kind of ['call-failed', 'timeout', 'provider-error', 'function-error'] as const) {
      assert.equal(syncInvocationErrorMessage(new InvocationError(kind, 'x')), GENERIC);
    }
    assert.equal(
      syncInvocationErrorMessage(new InvocationError('call-failed', 'x', { code: 'AccessDeniedException' })),
      GENERIC,
    );
    assert.equal(syncInvocationErrorMessage(new InvocationError('access-denied', 'x')), GENERIC);
    assert.equal(syncInvocationErrorMessage(new InvocationError('access-denied', 'x', { code: 'constructor' })), GENERIC);
  });

  it('gives the generic message for errors that are not invocation errors', () => {
    assert.equal(syncInvocationErrorMessage(new Error('unable to look up registered function')), GENERIC);
    assert.equal(syncInvocationErrorMessage(undefined), GENERIC);
  });
});

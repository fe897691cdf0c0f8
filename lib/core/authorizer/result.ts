import { foldJsonKey, isJsonObject, jsonTypeName, parseJsonResult } from '../go/index.js';
import type { Authorization, AuthorizerDecision } from './types.js';

const AUTHORIZATION = foldJsonKey('authorization');
const ERROR = foldJsonKey('error');
const PRINCIPAL_ID = foldJsonKey('principalId');
const CONTEXT = foldJsonKey('context');
const MESSAGE = foldJsonKey('message');

/** Thrown inside the decoder only; becomes a deny. */
class ShapeError extends Error {}

/**
 * Decides from an authorizer's result bytes (docs/compatibility.md#authorizers), decoding them as Go's encoding/json
 * did into `{authorization: {principalId, context}, error: {message}}`. Deny: empty, not JSON, not an object, any field
 * of the wrong type, or a non-null `error` (even `{}`). Allow otherwise, `principalId` not required: `{}` and `null`
 * allow with authorization `null`.
 */
export function parseAuthorizerResult(result: Buffer | string): AuthorizerDecision {
  const parsed = parseJsonResult(result);
  if (!parsed.ok) return deny(`authorizer ${parsed.reason}`);
  const value = parsed.value;
  if (value === null) return { allow: true, authorization: null };
  if (!isJsonObject(value)) return deny(`authorizer result is a JSON ${jsonTypeName(value)}, not an object`);

  try {
    let authorization: Authorization | null = null;
    let errorMessage: string | null = null;
    for (const [key, field] of Object.entries(value)) {
      const folded = foldJsonKey(key);
      if (folded === AUTHORIZATION) authorization = decodeAuthorization(field, authorization);
      else if (folded === ERROR) errorMessage = decodeError(field, errorMessage);
    }
    if (errorMessage !== null) return deny(`authorizer returned an error: ${JSON.stringify(errorMessage)}`);
    return { allow: true, authorization };
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    return deny(`authorizer result malformed: ${error.message}`);
  }
}

function deny(reason: string): AuthorizerDecision {
  return { allow: false, reason };
}

/** `null` clears the pointer; a repeated object updates the one already decoded (Go semantics). */
function decodeAuthorization(field: unknown, current: Authorization | null): Authorization | null {
  if (field === null) return null;
  if (!isJsonObject(field)) throw new ShapeError(`authorization is a JSON ${jsonTypeName(field)}, not an object`);
  const authorization: Authorization = current ?? { principalId: '', context: null };
  for (const [key, value] of Object.entries(field)) {
    const folded = foldJsonKey(key);
    if (folded === PRINCIPAL_ID) {
      if (value === null) continue;
      if (typeof value !== 'string') throw new ShapeError(`principalId is a JSON ${jsonTypeName(value)}, not a string`);
      authorization.principalId = value;
    } else if (folded === CONTEXT) {
      authorization.context = decodeContext(value, authorization.context);
    }
  }
  return authorization;
}

function decodeContext(field: unknown, current: Record<string, string> | null): Record<string, string> | null {
  if (field === null) return null;
  if (!isJsonObject(field)) throw new ShapeError(`context is a JSON ${jsonTypeName(field)}, not an object`);
  const context = new Map(Object.entries(current ?? {}));
  for (const [key, value] of Object.entries(field)) {
    if (value !== null && typeof value !== 'string') {
      throw new ShapeError(`context value ${JSON.stringify(key)} is a JSON ${jsonTypeName(value)}, not a string`);
    }
    context.set(key, value ?? '');
  }
  // fromEntries defines keys such as `__proto__` as plain data.
  return Object.fromEntries(context);
}

/** Returns the error's message ('' when it has none); any non-null `error` denies. */
function decodeError(field: unknown, current: string | null): string | null {
  if (field === null) return null;
  if (!isJsonObject(field)) throw new ShapeError(`error is a JSON ${jsonTypeName(field)}, not an object`);
  let message = current ?? '';
  for (const [key, value] of Object.entries(field)) {
    if (foldJsonKey(key) !== MESSAGE || value === null) continue;
    if (typeof value !== 'string') throw new ShapeError(`error.message is a JSON ${jsonTypeName(value)}, not a string`);
    message = value;
  }
  return message;
}

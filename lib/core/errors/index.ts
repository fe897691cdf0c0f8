/**
 * Typed errors. Every error a client can see is an {@link HttpError}: it carries its status and renders the
 * original's one error envelope, `{"errors":[{"message":"…"}]}`, in exactly one place ({@link HttpError.toBody}).
 * Anything else that escapes a handler is mapped to a 500 by the transport adapter.
 */
export interface ErrorEnvelope {
  errors: [{ message: string }];
}

export function errorEnvelope(message: string): ErrorEnvelope {
  return { errors: [{ message }] };
}

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  /** When set, the answer carries `Retry-After` with this many seconds (a 429 or 503 the client may retry). */
  readonly retryAfterSeconds?: number;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  toBody(): ErrorEnvelope {
    return errorEnvelope(this.message);
  }
}

/** 400: the request is malformed or breaks a rule. */
export class BadRequestError extends HttpError {
  readonly statusCode = 400;
}

/** 401: no access key, or one that is unknown or revoked (docs/compatibility.md#access-keys). */
export class UnauthorizedError extends HttpError {
  readonly statusCode = 401;
}

/** 403: a valid access key without access to what was asked for. */
export class ForbiddenError extends HttpError {
  readonly statusCode = 403;
}

/** 404: the addressed item does not exist. */
export class NotFoundError extends HttpError {
  readonly statusCode = 404;
}

/** 409: create-if-absent found the item already there. */
export class ConflictError extends HttpError {
  readonly statusCode = 409;
}

/** 413: a body or batch beyond a configured limit. */
export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
}

/** 429: a limit was reached (a full delivery queue, a function's rate or concurrency limit); retry later. */
export class TooManyRequestsError extends HttpError {
  readonly statusCode = 429;
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * 500: an unexpected storage or runtime failure; the message is the raw error text (docs/compatibility.md#conventions).
 */
export class InternalError extends HttpError {
  readonly statusCode = 500;
}

/**
 * 503: the gateway is draining (docs/compatibility.md#servers-and-ports), or a part it needs for this request cannot
 * answer now (then with a reason and a `Retry-After`).
 */
export class ServiceUnavailableError extends HttpError {
  readonly statusCode = 503;
  constructor(
    message = 'Service Unavailable',
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof HttpError;
}

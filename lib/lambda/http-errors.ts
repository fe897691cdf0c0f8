import { configResponseToLambdaResult, errorConfigResponse, type LambdaHttpResult } from '../config-api/adapters/aws-lambda.js';
import type { LambdaContext, MiddlewareLike } from './types.js';

export interface ConfigApiErrorsOptions {
  /** Told about every error turned into a response. @default nothing is logged */
  log?: (error: unknown) => void;
}

/** What a client sees when the config API failed before a handler ran (start-up, the admin key's secret). */
export const CONFIG_API_UNAVAILABLE = 'Internal Server Error: the config API could not serve the request; see its logs.';

/**
 * Middy middleware: the config API Lambda never throws. An error that escapes the handler or another middleware
 * becomes an envelope response in the event's own result shape: its status when it is an HttpError, else 500 with
 * a message that does not leak internals (the handler itself already maps what it throws).
 */
export function configApiErrors(options: ConfigApiErrorsOptions = {}): MiddlewareLike<unknown, LambdaHttpResult, LambdaContext> {
  return {
    onError(request) {
      options.log?.(request.error);
      request.response = configResponseToLambdaResult(request.event, errorConfigResponse(request.error, CONFIG_API_UNAVAILABLE));
    },
  };
}

/** Counts each config API result as `Requests`, and `Status4xx`/`Status5xx` (for {@link embeddedMetrics}'s `fromResult`). */
export function countHttpResult(result: { statusCode: number }, metrics: { count(name: string, value?: number): void }): void {
  metrics.count('Requests');
  metrics.count('Status4xx', result.statusCode >= 400 && result.statusCode < 500 ? 1 : 0);
  metrics.count('Status5xx', result.statusCode >= 500 ? 1 : 0);
}

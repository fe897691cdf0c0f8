export {
  ADMIN_KEY_ENV,
  ADMIN_KEY_INTERNAL_KEY,
  ADMIN_KEY_SECRET_ARN_ENV,
  AdminKeySecretError,
  AdminKeySource,
  adminKeyFromSecret,
  readAdminKeySecret,
  type AdminKeyContext,
  type AdminKeyFromSecretOptions,
} from './admin-key.js';
export {
  DEFAULT_METRICS_NAMESPACE,
  EmfMetrics,
  METRICS_INTERNAL_KEY,
  embeddedMetrics,
  type EmbeddedMetricsOptions,
  type MetricUnit,
  type MetricsContext,
} from './metrics.js';
export { CONFIG_API_UNAVAILABLE, configApiErrors, countHttpResult, type ConfigApiErrorsOptions } from './http-errors.js';
export { ColdStart } from './cold-start.js';
export { waitForRoutingVersion } from './routing.js';
export { sqsBatchHandler, type SqsBatchHandler, type SqsBatchHandlerOptions } from './sqs-batch.js';
export { lambdaSettingsFromEnv, type LambdaSettings } from './settings.js';
export type { BatchResponse, DynamoDBStreamEvent, LambdaContext, MiddlewareLike, MiddyRequestLike, SqsEvent } from './types.js';
export {
  DELIVERY_OUTCOME_METRICS,
  catchUpRouting,
  deliverSqsRecords,
  type DeliverSqsRecordsDeps,
  type DeliveryRecordOutcome,
} from './delivery-batch.js';

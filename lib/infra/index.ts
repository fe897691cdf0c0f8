export { EventGatewayStack } from './stack.js';
export { createApp, type CreateAppOptions } from './app.js';
export {
  EventGatewayPropsError,
  HTTPS_REQUIRED,
  INSTALL_PROFILES,
  LOG_RETENTION_DAYS,
  SMALL_PROFILE,
  resolveEventGatewayProps,
  validateEventGatewayProps,
  type AlarmProps,
  type EventGatewayStackProps,
  type ExistingVpcProps,
  type InstallProfile,
  type ResolvedAlarmProps,
  type ResolvedEventGatewayProps,
  type RouterProps,
} from './props.js';
export { CONTEXT_KEYS, propsFromContext, type ContextKey } from './context.js';
export { TABLE_ACCESS, grantQueueSend, grantTableAccess, type GatewayTables, type TableAccess, type TableAction } from './permissions.js';
export { DeliveryLimits, LIMITER_TABLE_ACTIONS, type DeliveryLimitsProps } from './limits/index.js';
export { GatewayNetwork, type GatewayNetworkProps } from './network/index.js';
export { CHANGES_TTL_ATTRIBUTE, RegistryTables, type RegistryTablesProps } from './registry/index.js';
export { DEAD_LETTER_RETENTION, DeliveryQueue, MAX_RECEIVE_COUNT, QUEUE_RETENTION, type DeliveryQueueProps } from './queue/index.js';
export {
  ADMIN_PORT,
  AccessLogsBucket,
  DEREGISTRATION_DELAY,
  EVENTS_PORT,
  HEALTH_CHECK_PATH,
  LOAD_BALANCER_IDLE_TIMEOUT,
  ROUTER_CONTAINER_NAME,
  RouterService,
  type AccessLogsBucketProps,
  type RouterServiceProps,
} from './router/index.js';
export { ADMIN_KEY_LENGTH, ADMIN_KEY_SECRET_ARN_ENV, ConfigApi, type ConfigApiProps } from './config-api/index.js';
export { FUNCTION_RUNTIME, GatewayFunction, type GatewayFunctionProps, type GatewayHandler } from './lambdas/index.js';
export {
  DEFAULT_DELIVERY_MAX_CONCURRENCY,
  DELIVERY_BATCH_SIZE,
  DELIVERY_TIMEOUT,
  DLQ_DRAINER_TIMEOUT,
  INVALIDATION_BATCH_SIZE,
  INVALIDATION_MAX_RECORD_AGE,
  INVALIDATION_RETRY_ATTEMPTS,
  Workers,
  type WorkersProps,
} from './workers/index.js';
export { EMF_SERVICES, Observability, type ObservabilityProps } from './observability/index.js';
export { FUNCTION_URL_ACTION, TARGET_ACTIONS, TargetAccess, parseTargetArn, type TargetAccessProps, type TargetService } from './targets/index.js';
export {
  CONNECTOR_LIST_ACTIONS,
  CONNECTOR_MQ_NETWORK_ACTIONS,
  CONNECTOR_SOURCE_ACTIONS,
  CONNECTOR_TIMEOUT,
  Connector,
  MAPPING_ACTIONS,
  connectorSourceProblems,
  defaultSourceArns,
  parseConnectorSourceArn,
  type ConnectorProps,
  type ConnectorSourceService,
} from './connectors/index.js';
export { REPO_ROOT } from './paths.js';
export { acknowledgeFinding } from './nag.js';

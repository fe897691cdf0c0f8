export { AccessLogsBucket, type AccessLogsBucketProps } from './access-logs.js';
export {
  ADMIN_PORT,
  DEREGISTRATION_DELAY,
  EVENTS_PORT,
  HEALTH_CHECK_PATH,
  LOAD_BALANCER_IDLE_TIMEOUT,
  ROUTER_CONTAINER_NAME,
  RouterService,
  type RouterServiceProps,
} from './service.js';
export {
  ADOT_COLLECTOR_IMAGE,
  PROMETHEUS_SCRAPE_INTERVAL,
  PROMETHEUS_SIDECAR_MEMORY_MIB,
  PROMETHEUS_SIDECAR_NAME,
  PrometheusSidecar,
  type PrometheusSidecarProps,
} from './prometheus.js';

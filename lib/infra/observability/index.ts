export { EMF_SERVICES, Observability, type ObservabilityProps } from './observability.js';

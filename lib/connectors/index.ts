export { ConnectorManager, type ConnectorManagerOptions } from './manager.js';
export { RecordIntake, type ConnectionDeadLetters, type IntakeOptions } from './intake.js';
export { ConnectorMetrics } from './metrics.js';
export { HttpSink, HTTP_SINK_TIMEOUT_MS, type EventSink, type SinkResult } from './sink.js';
export type { Poller, PollerContext, PollerTiming } from './pollers/types.js';

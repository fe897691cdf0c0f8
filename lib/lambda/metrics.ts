import { DEFAULT_METRICS_NAMESPACE } from '../settings/index.js';
import type { LambdaContext, MiddlewareLike, MiddyRequestLike } from './types.js';

/** Where {@link embeddedMetrics} keeps the request's metrics in `request.internal`. */
export const METRICS_INTERNAL_KEY = 'eventGateway.metrics';

/** The default namespace of the gateway's CloudWatch metrics. */
export { DEFAULT_METRICS_NAMESPACE };

/** The EMF units the handlers use. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'Bytes' | 'None';

/** The context a handler behind {@link embeddedMetrics} sees. */
export interface MetricsContext {
  eventGatewayMetrics?: EmfMetrics;
}

/** EMF allows at most 100 metrics per document. */
const MAX_METRICS_PER_DOCUMENT = 100;

/**
 * Metrics of one invocation, written as CloudWatch Embedded Metric Format documents (one JSON line each, which
 * CloudWatch Logs turns into metrics). Counts with the same name are summed; other values are kept as a list.
 */
export class EmfMetrics {
  private readonly counts = new Map<string, number>();
  private readonly values = new Map<string, { unit: MetricUnit; values: number[] }>();

  constructor(
    readonly namespace: string,
    readonly dimensions: Readonly<Record<string, string>>,
  ) {}

  count(name: string, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  record(name: string, value: number, unit: MetricUnit): void {
    const entry = this.values.get(name);
    if (entry) entry.values.push(value);
    else this.values.set(name, { unit, values: [value] });
  }

  get isEmpty(): boolean {
    return this.counts.size === 0 && this.values.size === 0;
  }

  /** The EMF documents for what was recorded (none when nothing was), and forgets it. */
  drain(timestamp: number = Date.now()): string[] {
    const metrics: { name: string; unit: MetricUnit; value: number | number[] }[] = [];
    for (const [name, value] of this.counts) metrics.push({ name, unit: 'Count', value });
    for (const [name, { unit, values }] of this.values) metrics.push({ name, unit, value: values.length === 1 ? values[0]! : values });
    this.counts.clear();
    this.values.clear();
    const documents: string[] = [];
    for (let start = 0; start < metrics.length; start += MAX_METRICS_PER_DOCUMENT) {
      const chunk = metrics.slice(start, start + MAX_METRICS_PER_DOCUMENT);
      const document: Record<string, unknown> = {
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            {
              Namespace: this.namespace,
              Dimensions: [Object.keys(this.dimensions)],
              Metrics: chunk.map(({ name, unit }) => ({ Name: name, Unit: unit })),
            },
          ],
        },
        ...this.dimensions,
      };
      for (const { name, value } of chunk) document[name] = value;
      documents.push(JSON.stringify(document));
    }
    return documents;
  }
}

export interface EmbeddedMetricsOptions<TResult> {
  /** The dimension `Service` of every metric, e.g. `delivery`. */
  service: string;
  /** @default 'EventGateway' */
  namespace?: string;
  /** Receives each EMF document. @default a line on stdout (not through console, whose Lambda prefix breaks EMF) */
  write?: (document: string) => void;
  /** Records metrics from the invocation's result, also one an error handler set. @default records nothing */
  fromResult?: (result: TResult, metrics: EmfMetrics) => void;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Middy middleware: gives the handler an {@link EmfMetrics} (as `context.eventGatewayMetrics`, and under
 * `request.internal['eventGateway.metrics']`) and writes what it recorded once the invocation ends, also when it
 * failed; an invocation that failed without a result counts `Errors`.
 */
export function embeddedMetrics<TResult = unknown>(
  options: EmbeddedMetricsOptions<TResult>,
): MiddlewareLike<unknown, TResult, LambdaContext & MetricsContext> {
  const namespace = options.namespace ?? DEFAULT_METRICS_NAMESPACE;
  const write = options.write ?? ((document: string) => void process.stdout.write(`${document}\n`));
  const now = options.now ?? Date.now;

  const flush = (request: MiddyRequestLike<unknown, TResult, LambdaContext & MetricsContext>, failed: boolean) => {
    const metrics = request.internal[METRICS_INTERNAL_KEY];
    if (!(metrics instanceof EmfMetrics)) return;
    const result = request.response;
    if (result !== undefined && result !== null) options.fromResult?.(result, metrics);
    else if (failed) metrics.count('Errors');
    for (const document of metrics.drain(now())) write(document);
  };

  return {
    before(request) {
      const metrics = new EmfMetrics(namespace, { Service: options.service });
      request.internal[METRICS_INTERNAL_KEY] = metrics;
      request.context.eventGatewayMetrics = metrics;
    },
    after: (request) => flush(request, false),
    onError: (request) => flush(request, true),
  };
}

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { FargateService } from 'aws-cdk-lib/aws-ecs';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { HttpCodeElb, HttpCodeTarget, type ApplicationLoadBalancer, type ApplicationTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONNECTOR_METRICS } from '../../connectors/aws/batch.js';
import { ROUTER_EMF_METRICS, ROUTER_EMF_SERVICE } from '../../observability/emf-names.js';
import { acknowledgeFinding } from '../nag.js';
import type { ResolvedAlarmProps } from '../props.js';

/** The `Service` dimension each handler writes its EMF metrics with (lib/lambda/metrics.ts, functions/*.ts). */
export const EMF_SERVICES = {
  delivery: 'delivery',
  dlqDrainer: 'dlq-drainer',
  invalidation: 'invalidation',
  configApi: 'config-api',
  connector: 'connector',
  router: ROUTER_EMF_SERVICE,
} as const;

const FIVE_MINUTES = Duration.minutes(5);

export interface ObservabilityProps {
  /** CloudWatch namespace of the handlers' EMF metrics. */
  readonly metricsNamespace: string;
  readonly alarms: ResolvedAlarmProps;
  /** Keep the alarm topic's key when the stack is deleted. @default true */
  readonly retain?: boolean;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly targetGroup: ApplicationTargetGroup;
  readonly routerService: FargateService;
  readonly configApi: HttpApi;
  readonly configFunction: IFunction;
  readonly delivery: IFunction;
  readonly invalidation: IFunction;
  readonly dlqDrainer: IFunction;
  /** The connector Lambda (connections on AWS). @default none: no connections row */
  readonly connector?: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Where the invalidation mapping describes the Stream records it gave up on. */
  readonly invalidationFailures: IQueue;
  readonly tables: readonly ITable[];
}

/**
 * One dashboard and the alarms: dead letters, 5xx rate (events API, with a minimum of requests, and config API),
 * p99 latency, router CPU, delivery errors, 429s, running tasks below desired, the queue's oldest message, the
 * registry Stream's iterator age and its failure queue, DynamoDB and delivery Lambda throttles, and the DLQ not
 * draining. AWS metrics come from the services; the rest from the router's and the handlers' Embedded Metric
 * Format lines. Missing data never alarms. Every alarm notifies {@link Observability.topic} (the stack's own,
 * encrypted, or one given by ARN), when it fires and when it recovers. docs/aws-operations.md has the runbooks.
 */
export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly deadLettersAlarm: Alarm;
  readonly deadLetterQueueAlarm: Alarm;
  readonly events5xxAlarm: Alarm;
  readonly config5xxAlarm: Alarm;
  readonly latencyAlarm: Alarm;
  readonly routerCpuAlarm: Alarm;
  readonly deliveryErrorsAlarm: Alarm;
  readonly invalidationLagAlarm: Alarm;
  readonly rejectedAlarm: Alarm;
  readonly runningTasksAlarm: Alarm;
  readonly queueAgeAlarm: Alarm;
  readonly invalidationFailuresAlarm: Alarm;
  readonly tableThrottlesAlarm: Alarm;
  readonly deliveryThrottlesAlarm: Alarm;
  /** Where every alarm sends its state changes. */
  readonly topic: ITopic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const emf = (service: string, metricName: string, label = metricName) =>
      new Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: { Service: service }, statistic: 'Sum', period: FIVE_MINUTES, label });
    const alb = props.loadBalancer.metrics;

    // Events API (ALB in front of the router).
    const requests = alb.requestCount({ period: FIVE_MINUTES });
    const target5xx = alb.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: FIVE_MINUTES });
    const elb5xx = alb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { period: FIVE_MINUTES });
    const { alarms } = props;
    // Below min5xxRequests requests in 5 minutes one error is a large share: no alarm at low traffic.
    const events5xxPercent = new MathExpression({
      expression: `IF(requests >= ${Math.max(1, alarms.min5xxRequests)}, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)`,
      usingMetrics: { requests, target5xx, elb5xx },
      label: 'Events API 5xx (%)',
      period: FIVE_MINUTES,
    });
    const p99 = alb.targetResponseTime({ statistic: 'p99', period: FIVE_MINUTES, label: 'p99' });
    const p50 = alb.targetResponseTime({ statistic: 'p50', period: FIVE_MINUTES, label: 'p50' });
    const routerCpu = props.routerService.metricCpuUtilization({ period: FIVE_MINUTES });

    // Config API.
    const configRequests = props.configApi.metricCount({ period: FIVE_MINUTES });
    const config5xx = props.configApi.metricServerError({ period: FIVE_MINUTES });
    const config5xxPercent = new MathExpression({
      expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: { requests: configRequests, errors: config5xx },
      label: 'Config API 5xx (%)',
      period: FIVE_MINUTES,
    });

    // Async delivery.
    const deadLettered = emf(EMF_SERVICES.delivery, 'DeadLettered', 'dead-lettered by the worker');
    const movedFromDlq = emf(EMF_SERVICES.dlqDrainer, 'DeadLettersMoved', 'moved from the DLQ');
    const deadLetters = new MathExpression({
      expression: 'FILL(deadLettered, 0) + FILL(movedFromDlq, 0)',
      usingMetrics: { deadLettered, movedFromDlq },
      label: 'New dead letters',
      period: FIVE_MINUTES,
    });
    const deliveryLambdaErrors = props.delivery.metricErrors({ period: FIVE_MINUTES, label: 'delivery Lambda errors' });
    const deliveryFailed = emf(EMF_SERVICES.delivery, 'Failed', 'records left in the queue by a failure');
    const deliveryErrors = new MathExpression({
      expression: 'FILL(lambdaErrors, 0) + FILL(failed, 0)',
      usingMetrics: { lambdaErrors: deliveryLambdaErrors, failed: deliveryFailed },
      label: 'Delivery errors',
      period: FIVE_MINUTES,
    });
    const dlqOldest = props.deadLetterQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES });
    const iteratorAge = props.invalidation.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) });

    // The router's own metrics (EMF, one document per task per minute).
    const router = (name: string, label = name, statistic = 'Sum') =>
      new Metric({ namespace: props.metricsNamespace, metricName: name, dimensionsMap: { Service: EMF_SERVICES.router }, statistic, period: FIVE_MINUTES, label });
    const received = router(ROUTER_EMF_METRICS.received, 'received');
    const rejected = router(ROUTER_EMF_METRICS.rejected, 'rejected (429)');
    const rejectedPercent = new MathExpression({
      expression: 'IF(received > 0, 100 * FILL(rejected, 0) / received, 0)',
      usingMetrics: { received, rejected },
      label: 'Events refused with 429 (%)',
      period: FIVE_MINUTES,
    });
    const clusterName = props.routerService.cluster.clusterName;
    const serviceName = props.routerService.serviceName;
    const insights = (metricName: string) =>
      new Metric({ namespace: 'ECS/ContainerInsights', metricName, dimensionsMap: { ClusterName: clusterName, ServiceName: serviceName }, statistic: 'Minimum', period: Duration.minutes(1) });
    const tasksMissing = new MathExpression({
      expression: 'FILL(desired, 0) - FILL(running, 0)',
      usingMetrics: { desired: insights('DesiredTaskCount'), running: insights('RunningTaskCount') },
      label: 'Tasks below desired',
      period: Duration.minutes(1),
    });
    const queueOldest = props.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES });
    const invalidationFailed = props.invalidationFailures.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES });
    const throttleMetrics: Record<string, IMetric> = {};
    props.tables.forEach((table, index) => {
      throttleMetrics[`r${index}`] = table.metric('ReadThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES });
      throttleMetrics[`w${index}`] = table.metric('WriteThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES });
    });
    const tableThrottles = new MathExpression({
      expression: Object.keys(throttleMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics: throttleMetrics,
      label: 'DynamoDB throttled requests',
      period: FIVE_MINUTES,
    });
    const deliveryThrottles = props.delivery.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES });

    const alarm = (constructId: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1) =>
      new Alarm(this, constructId, {
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    this.deadLettersAlarm = alarm('DeadLetters', deadLetters, 1, 'Events were dead-lettered: list them with GET /v1/spaces/{space}/deadletters and redrive.');
    this.deadLetterQueueAlarm = alarm('DeadLetterQueueNotDraining', dlqOldest, 900, 'A message has stayed in the delivery DLQ for 15 minutes: the DLQ drainer is failing or the message is not a delivery item.');
    this.events5xxAlarm = alarm('Events5xxRate', events5xxPercent, alarms.max5xxPercent, `More than ${alarms.max5xxPercent}% of events API requests answered 5xx.`);
    this.config5xxAlarm = alarm('Config5xxRate', config5xxPercent, alarms.max5xxPercent, `More than ${alarms.max5xxPercent}% of config API requests answered 5xx.`);
    this.latencyAlarm = alarm('EventsP99Latency', p99, alarms.maxP99LatencyMs / 1000, `The events API's p99 response time is above ${alarms.maxP99LatencyMs} ms.`, 3);
    this.routerCpuAlarm = alarm('RouterCpu', routerCpu, alarms.maxRouterCpuPercent, `Router tasks average ${alarms.maxRouterCpuPercent}% CPU or more for 15 minutes: autoscaling is at its limit.`, 3);
    this.deliveryErrorsAlarm = alarm('DeliveryErrors', deliveryErrors, 1, 'The delivery Lambda failed, or left records in the queue because of an error.');
    this.invalidationLagAlarm = alarm('ConfigPropagationLag', iteratorAge, 60_000, 'The registry Stream is a minute behind: config changes are not reaching the routers.', 3);
    this.rejectedAlarm = alarm('EventsRejected', rejectedPercent, alarms.max429Percent, `${alarms.max429Percent}% or more of events were refused with 429: the delivery queue is full (deliveries are slower than intake).`);
    this.runningTasksAlarm = alarm('RouterTasksBelowDesired', tasksMissing, 1, 'Fewer router tasks run than desired for 5 minutes: tasks fail to start or keep crashing.', 5);
    this.queueAgeAlarm = alarm('QueueOldestMessage', queueOldest, alarms.maxQueueAgeSeconds, `A delivery queue message is ${alarms.maxQueueAgeSeconds} s old: deliveries are stuck or far behind.`);
    this.invalidationFailuresAlarm = alarm('InvalidationRecordsDropped', invalidationFailed, 1, 'The invalidation mapping gave up on registry Stream records: some routers may serve stale config until restarted.');
    this.tableThrottlesAlarm = alarm('DynamoDbThrottles', tableThrottles, 1, 'DynamoDB throttled requests of the registry, change log or dead-letter table.');
    this.deliveryThrottlesAlarm = alarm('DeliveryThrottles', deliveryThrottles, 1, 'The delivery Lambda was throttled: the account or region concurrency is exhausted.');

    if (alarms.topicArn) {
      this.topic = Topic.fromTopicArn(this, 'AlarmTopic', alarms.topicArn);
    } else {
      // CloudWatch can publish to an encrypted topic only with a customer-managed key whose policy lets it.
      const key = new Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the event gateway alarm topic',
        enableKeyRotation: true,
        removalPolicy: props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      const topic = new Topic(this, 'AlarmTopic', { displayName: 'Event gateway alarms', masterKey: key, enforceSSL: true });
      if (alarms.email) {
        const subscription = topic.addSubscription(new EmailSubscription(alarms.email));
        acknowledgeFinding(
          subscription,
          'Serverless-SNSRedrivePolicy',
          'An e-mail subscription to the alarm topic: a notification e-mail cannot be redriven to anyone, and the alarm stays in ALARM on the dashboard.',
        );
      }
      this.topic = topic;
    }
    const action = new SnsAction(this.topic);
    for (const each of this.alarms) {
      each.addAlarmAction(action);
      each.addOkAction(action);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) => new GraphWidget({ title, left, right, width: 8, height: 6 });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Event gateway\nEvents API (ALB → router) on the first row, the router\'s own metrics on the second, async ' +
          'delivery on the third, config and registry on the fourth, connections on the fifth. Alarms are at the bottom; see the README, "Reading the dashboard".',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Events API requests and 5xx', [requests, target5xx, elb5xx], [events5xxPercent]),
      graph('Events API latency (s)', [p50, p99]),
      graph('Router CPU and memory (%)', [routerCpu, props.routerService.metricMemoryUtilization({ period: FIVE_MINUTES })], [
        props.targetGroup.metrics.healthyHostCount({ period: FIVE_MINUTES }),
      ]),
    );
    const m = ROUTER_EMF_METRICS;
    this.dashboard.addWidgets(
      graph('Router: events', [received, router(m.accepted, 'accepted'), rejected, router(m.unrouted, 'unrouted')], [rejectedPercent]),
      graph('Router: sync calls and queue sends', [
        router(m.syncCallsSucceeded, 'sync calls ok'),
        router(m.syncCallsFailed, 'sync calls failed'),
        router(m.queueSends, 'queue sends'),
      ], [router(m.syncCallLatency, 'sync call p99 (ms)', 'p99'), router(m.queueSendLatency, 'queue send p99 (ms)', 'p99')]),
      graph('Router: config propagation', [router(m.configPropagationLag, 'lag p99 (ms)', 'p99'), router(m.configPropagationLag, 'lag max (ms)', 'Maximum')], [
        router(m.routingTableVersion, 'routing table version (max)', 'Maximum'),
        router(m.routingTableVersion, 'routing table version (min)', 'Minimum'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Delivery outcomes', ['Delivered', 'Retried', 'DeadLettered', 'Skipped', 'Vetoed', 'Failed'].map((name) => emf(EMF_SERVICES.delivery, name))),
      graph('Queue', [props.queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }), props.queue.metricNumberOfMessagesSent({ period: FIVE_MINUTES })], [
        queueOldest,
      ]),
      graph('Dead letters and DLQ', [deadLettered, movedFromDlq, props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES })], [dlqOldest]),
    );
    this.dashboard.addWidgets(
      graph('Config API', [configRequests, props.configApi.metricClientError({ period: FIVE_MINUTES }), config5xx], [
        props.configApi.metricLatency({ statistic: 'p99', period: FIVE_MINUTES }),
      ]),
      graph('Lambda errors and throttles', [props.configFunction, props.delivery, props.invalidation, props.dlqDrainer, ...(props.connector ? [props.connector] : [])].flatMap((fn) => [
        fn.metricErrors({ period: FIVE_MINUTES }),
        fn.metricThrottles({ period: FIVE_MINUTES }),
      ])),
      graph('Config propagation', [emf(EMF_SERVICES.invalidation, 'ChangesLogged'), invalidationFailed, tableThrottles], [iteratorAge]),
    );
    if (props.connector) {
      const c = CONNECTOR_METRICS;
      this.dashboard.addWidgets(
        graph('Connections: records', [
          emf(EMF_SERVICES.connector, c.processed, 'taken in'),
          emf(EMF_SERVICES.connector, c.retried, 'retried (queue full, target down)'),
          emf(EMF_SERVICES.connector, c.deadLetters, 'dead letters'),
          emf(EMF_SERVICES.connector, c.orphaned, 'without a connection'),
        ], [emf(EMF_SERVICES.connector, c.processedBytes, 'bytes taken in')]),
        graph('Connections: connector Lambda', [props.connector.metricErrors({ period: FIVE_MINUTES }), props.connector.metricThrottles({ period: FIVE_MINUTES })], [
          props.connector.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
        ]),
      );
    }
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
  }

  get alarms(): Alarm[] {
    return [
      this.deadLettersAlarm,
      this.deadLetterQueueAlarm,
      this.events5xxAlarm,
      this.config5xxAlarm,
      this.latencyAlarm,
      this.routerCpuAlarm,
      this.deliveryErrorsAlarm,
      this.invalidationLagAlarm,
      this.rejectedAlarm,
      this.runningTasksAlarm,
      this.queueAgeAlarm,
      this.invalidationFailuresAlarm,
      this.tableThrottlesAlarm,
      this.deliveryThrottlesAlarm,
    ];
  }
}

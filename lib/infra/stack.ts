import { Aws, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { ConfigApi } from './config-api/config-api.js';
import { DeliveryLimits } from './limits/limits.js';
import { Connector } from './connectors/connector.js';
import { GatewayNetwork } from './network/network.js';
import { Observability } from './observability/observability.js';
import { settingsEnv } from '../settings/index.js';
import { REPO_ROOT } from './paths.js';
import { TABLE_ACCESS, grantQueueSend, grantTableAccess } from './permissions.js';
import {
  EventGatewayPropsError,
  resolveEventGatewayProps,
  validateEventGatewayProps,
  type EventGatewayStackProps,
  type ResolvedEventGatewayProps,
} from './props.js';
import { DeliveryQueue } from './queue/delivery-queue.js';
import { RegistryTables } from './registry/tables.js';
import { RouterService } from './router/service.js';
import { TargetAccess } from './targets/targets.js';
import { DELIVERY_TIMEOUT, DLQ_DRAINER_TIMEOUT, Workers } from './workers/workers.js';

/** AWS advises an SQS event source's queue to hide a message for six times the function's timeout. */
const VISIBILITY_PER_TIMEOUT = 6;

/**
 * The whole event gateway in one stack (docs/architecture.md#on-aws): the router on Fargate behind a public ALB (events
 * API), the config API on Lambda behind an HTTP API, the three DynamoDB tables, the fan-out queue with its DLQ, the
 * delivery, invalidation and DLQ-drainer Lambdas, a dashboard and alarms. Environment-agnostic: nothing is looked up,
 * so `cdk synth` needs no AWS account. Props are validated once, before anything is built; every problem is reported
 * together in an {@link EventGatewayPropsError}.
 */
export class EventGatewayStack extends Stack {
  readonly settings: ResolvedEventGatewayProps;
  readonly network: GatewayNetwork;
  readonly tables: RegistryTables;
  readonly limits: DeliveryLimits;
  readonly queue: DeliveryQueue;
  readonly targets: TargetAccess;
  readonly router: RouterService;
  readonly configApi: ConfigApi;
  readonly workers: Workers;
  readonly connector: Connector;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: EventGatewayStackProps = {}) {
    super(scope, id, {
      description: 'Event Gateway: events API (ALB + Fargate router), config API (HTTP API + Lambda), DynamoDB, SQS',
      ...props,
    });
    const settings = resolveEventGatewayProps(props);
    const problems = validateEventGatewayProps(settings);
    if (problems.length > 0) throw new EventGatewayPropsError(problems);
    this.settings = settings;
    const retain = settings.retainData;
    const logs = { logRetentionDays: settings.logRetentionDays };

    this.network = new GatewayNetwork(this, 'Network', {
      existingVpc: settings.existingVpc,
      natGateways: settings.natGateways,
      publicTasks: settings.profile === 'small',
      sqsEndpoint: settings.sqsEndpoint,
      flowLogRetentionDays: settings.logRetentionDays,
      destroyLogs: !retain,
    });
    this.tables = new RegistryTables(this, 'Registry', { tablePrefix: settings.tablePrefix, retain, deletionProtection: settings.production });
    // Never deletion-protected: it holds only state that rebuilds itself within a second.
    this.limits = new DeliveryLimits(this, 'Limits', { tablePrefix: settings.tablePrefix, encryptionKey: this.tables.encryptionKey });
    this.queue = new DeliveryQueue(this, 'Fanout', {
      visibilityTimeout: Duration.seconds(DELIVERY_TIMEOUT.toSeconds() * VISIBILITY_PER_TIMEOUT),
      deadLetterVisibilityTimeout: Duration.seconds(DLQ_DRAINER_TIMEOUT.toSeconds() * VISIBILITY_PER_TIMEOUT),
      retain,
    });
    this.targets = new TargetAccess(this, 'Targets', {
      allowedTargetArns: settings.allowedTargetArns,
      allowedTargetKeyArns: settings.allowedTargetKeyArns,
    });

    // The settings the container and the Lambdas share: names of resources, never secrets.
    const environment = settingsEnv({
      dynamodbTablePrefix: settings.tablePrefix,
      sqsQueueUrl: this.queue.queue.queueUrl,
      limitsTable: this.limits.table.tableName,
      logLevel: 'info',
      allowTargets: settings.allowTargets.length > 0 ? settings.allowTargets.join(',') : undefined,
      // The router writes its EMF metrics (every 60 s with --router-only) into the same namespace as the Lambdas.
      metricsNamespace: settings.metricsNamespace,
    });

    this.router = new RouterService(this, 'Router', {
      vpc: this.network.vpc,
      publicSubnets: this.network.publicSubnets,
      taskSubnets: this.network.taskSubnets,
      assignPublicIp: this.network.taskPublicIp,
      // Only staged by `cdk synth`; `cdk deploy` builds it (Docker needed there, not here).
      image: ContainerImage.fromAsset(REPO_ROOT, { file: 'Dockerfile', platform: Platform.LINUX_AMD64 }),
      // Fargate sets the region too; stated so the SDK never has to guess.
      environment: { ...environment, AWS_REGION: Aws.REGION },
      settings: settings.router,
      certificateArn: settings.certificateArn,
      deletionProtection: settings.production,
      prometheus: settings.prometheus,
      retain,
      ...logs,
    });
    this.network.sqsEndpoint?.connections.allowDefaultPortFrom(this.router.service, 'The router sends to the delivery queue');
    const taskRole = this.router.taskDefinition.taskRole;
    grantTableAccess(taskRole, this.tables, TABLE_ACCESS.router);
    grantQueueSend(taskRole, this.queue.queue, this.queue.encryptionKey);
    this.limits.grantLimiter(taskRole);
    this.targets.attachTo(taskRole);

    this.configApi = new ConfigApi(this, 'ConfigApi', {
      environment,
      rateLimit: settings.configApiRateLimit,
      reservedConcurrency: settings.configApiReservedConcurrency,
      retain,
      ...logs,
    });
    grantTableAccess(this.configApi.function, this.tables, TABLE_ACCESS.configApi);
    grantQueueSend(this.configApi.function, this.queue.queue, this.queue.encryptionKey);

    this.workers = new Workers(this, 'Workers', {
      environment,
      tables: this.tables,
      queue: this.queue,
      targets: this.targets,
      deliveryMaxConcurrency: settings.deliveryMaxConcurrency,
      retain,
      ...logs,
    });
    this.limits.grantLimiter(this.workers.delivery);

    // Connections on AWS: the config API maps each connection's source to the connector Lambda.
    this.connector = new Connector(this, 'Connector', {
      environment,
      tables: this.tables,
      queue: this.queue,
      eventsUrl: this.router.eventsUrl,
      sourceArns: settings.connectorSourceArns,
      retain,
      ...logs,
    });
    this.connector.allowMappings(this.configApi.function.role!);
    for (const [name, value] of Object.entries(settingsEnv({ connectorFunctionArn: this.connector.function.functionArn }))) {
      this.configApi.function.addEnvironment(name, value);
    }

    this.observability = new Observability(this, 'Observability', {
      metricsNamespace: settings.metricsNamespace,
      alarms: settings.alarms,
      retain,
      loadBalancer: this.router.loadBalancer,
      targetGroup: this.router.targetGroup,
      routerService: this.router.service,
      configApi: this.configApi.api,
      configFunction: this.configApi.function,
      delivery: this.workers.delivery,
      invalidation: this.workers.invalidation,
      dlqDrainer: this.workers.dlqDrainer,
      connector: this.connector.function,
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      invalidationFailures: this.workers.invalidationFailures,
      tables: [this.tables.registry, this.tables.changes, this.tables.deadLetters, this.limits.table],
    });

    new CfnOutput(this, 'EventsUrl', { value: this.router.eventsUrl, description: 'Events API: emit events and call HTTP routes here' });
    new CfnOutput(this, 'ConfigUrl', { value: this.configApi.url, description: 'Config API: the SDK and the Serverless Framework plugin point here' });
    new CfnOutput(this, 'AdminKeySecretArn', {
      value: this.configApi.adminKey.secretArn,
      description: 'The admin key: aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn, description: 'Every alarm notifies this SNS topic: subscribe to it' });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName, description: 'CloudWatch dashboard' });
    new CfnOutput(this, 'TablePrefix', { value: settings.tablePrefix, description: 'Prefix of the registry, changes and deadletters tables' });
  }
}

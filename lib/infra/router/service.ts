import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Port, SecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import {
  Cluster,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
  OperatingSystemFamily,
  type ContainerImage,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  ListenerCertificate,
  Protocol,
  SslPolicy,
  TargetType,
  type ApplicationListener,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.js';
import { DEFAULT_CONFIG_PORT, DEFAULT_EVENTS_PORT, settingsEnv } from '../../settings/index.js';
import type { RouterProps } from '../props.js';
import { AccessLogsBucket } from './access-logs.js';
import { PROMETHEUS_SIDECAR_MEMORY_MIB, PrometheusSidecar } from './prometheus.js';

/** The events API port of the container (the CLI's default `--events-port`). */
export const EVENTS_PORT = DEFAULT_EVENTS_PORT;
/**
 * The admin port (`--config-port`): only `/v1/status` and `/v1/metrics` with `--router-only`
 * (docs/operations.md#flags).
 */
export const ADMIN_PORT = DEFAULT_CONFIG_PORT;
/** What the load balancer probes: on the admin port, so probes never become events. */
export const HEALTH_CHECK_PATH = '/v1/status';
/** How long the load balancer keeps sending in-flight requests to a task it deregisters. */
export const DEREGISTRATION_DELAY = Duration.seconds(30);
export const ROUTER_CONTAINER_NAME = 'Router';
/** Below the router's keep-alive timeout (60 s), so the router never closes a connection the ALB reuses. */
export const LOAD_BALANCER_IDLE_TIMEOUT = Duration.seconds(50);
/** V8's old space as a share of the container's memory limit: the heap is collected before the limit kills the task. */
const HEAP_SHARE_OF_LIMIT = 0.75;

export interface RouterServiceProps {
  readonly vpc: IVpc;
  /** Subnets of the internet-facing load balancer. */
  readonly publicSubnets: SubnetSelection;
  /** Subnets of the tasks. */
  readonly taskSubnets: SubnetSelection;
  /**
   * A public IPv4 address on each task (tasks in public subnets without NAT, the small profile); the security group
   * still admits only the load balancer. @default false
   */
  readonly assignPublicIp?: boolean;
  /** The router image (built from the repository's Dockerfile by the stack). */
  readonly image: ContainerImage;
  /** Settings of the container (`settingsEnv`, lib/settings): names of resources, never secrets. */
  readonly environment: Readonly<Record<string, string>>;
  /** Task size and autoscaling, defaults applied. */
  readonly settings: Required<RouterProps>;
  /** HTTPS on 443 with this ACM certificate (and a redirect from 80). @default HTTP on 80 */
  readonly certificateArn?: string;
  /** Deletion protection on the load balancer (a production deploy). @default false */
  readonly deletionProtection?: boolean;
  /**
   * An ADOT collector sidecar that scrapes the router's `/v1/metrics` and remote-writes to Amazon Managed Service
   * for Prometheus (a new workspace, or `workspaceArn`).
   * @default none
   */
  readonly prometheus?: { readonly workspaceArn?: string };
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Keep the access-log bucket and the log group with the stack deleted. @default true */
  readonly retain?: boolean;
}

/**
 * The events API: an internet-facing ALB in front of an ECS Fargate service that runs the router (the image's
 * command: `--router-only` on DynamoDB and SQS). The ALB health check hits the admin port, deregistration waits
 * for in-flight requests, and the service scales on CPU and on requests per task.
 */
export class RouterService extends Construct {
  readonly cluster: Cluster;
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly listener: ApplicationListener;
  readonly targetGroup: ApplicationTargetGroup;
  readonly accessLogs: AccessLogsBucket;
  readonly logGroup: LogGroup;
  /** `http(s)://<load balancer DNS name>`. */
  readonly eventsUrl: string;
  /** The collector sidecar, when `prometheus` is set. */
  readonly prometheus: PrometheusSidecar | undefined;

  constructor(scope: Construct, id: string, props: RouterServiceProps) {
    super(scope, id);
    const { vpc, settings } = props;
    const retain = props.retain ?? true;

    this.cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: (props.logRetentionDays ?? 30) as RetentionDays,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: settings.cpu,
      memoryLimitMiB: settings.memoryLimitMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
      // The root file system is read-only; /tmp is the one writable place (temporary files of the process).
      volumes: [{ name: 'tmp' }],
    });
    // With the sidecar, the router's hard limit is what the sidecar leaves of the task's memory.
    const routerMemoryMiB = settings.memoryLimitMiB - (props.prometheus ? PROMETHEUS_SIDECAR_MEMORY_MIB : 0);
    const container = this.taskDefinition.addContainer(ROUTER_CONTAINER_NAME, {
      image: props.image,
      essential: true,
      portMappings: [
        { containerPort: EVENTS_PORT, name: 'events' },
        { containerPort: ADMIN_PORT, name: 'admin' },
      ],
      // A hard limit of the task's memory: a leak ends this task (ECS replaces it), never starves a neighbour.
      memoryLimitMiB: routerMemoryMiB,
      environment: {
        NODE_OPTIONS: `--max-old-space-size=${Math.floor(routerMemoryMiB * HEAP_SHARE_OF_LIMIT)}`,
        ...props.environment,
        // --loopback-metrics: the sidecar scrapes over the task's loopback without a key.
        ...settingsEnv({ loopbackMetrics: props.prometheus ? true : undefined }),
      },
      logging: LogDrivers.awsLogs({ streamPrefix: 'router', logGroup: this.logGroup }),
      readonlyRootFilesystem: true,
      // An init process forwards SIGTERM to node (a graceful drain, docs/operations.md#graceful-shutdown) and reaps
      // zombies.
      linuxParameters: new LinuxParameters(this, 'Linux', { initProcessEnabled: true }),
      stopTimeout: Duration.seconds(30),
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${ADMIN_PORT}${HEALTH_CHECK_PATH}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
    });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    this.prometheus = props.prometheus
      ? new PrometheusSidecar(this, 'Prometheus', {
          taskDefinition: this.taskDefinition,
          adminPort: ADMIN_PORT,
          logGroup: this.logGroup,
          workspaceArn: props.prometheus.workspaceArn,
        })
      : undefined;
    const pullPolicy = this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (pullPolicy) {
      acknowledgeFinding(
        pullPolicy,
        'AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken, which ECS needs to pull the router image, supports no resource-level permissions.',
      );
    }
    acknowledgeFinding(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds only resource names and settings (table prefix, queue URL, allowed CIDRs, log level); ' +
        'nothing secret is passed to the router, which needs no admin key.',
    );

    const loadBalancerGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Event gateway events API load balancer: HTTP(S) from anywhere',
      allowAllOutbound: false,
    });
    acknowledgeFinding(
      loadBalancerGroup,
      'AwsSolutions-EC23',
      'The events API is public by design: any client may send events to the load balancer on 80/443.',
    );
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: props.publicSubnets,
      securityGroup: loadBalancerGroup,
      dropInvalidHeaderFields: true,
      idleTimeout: LOAD_BALANCER_IDLE_TIMEOUT,
      deletionProtection: props.deletionProtection ?? false,
    });
    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs', { retain });
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', this.accessLogs.bucket.bucketName);
    this.loadBalancer.setAttribute('access_logs.s3.prefix', this.accessLogs.prefix);
    if (this.accessLogs.bucket.policy) this.loadBalancer.node.addDependency(this.accessLogs.bucket.policy);

    const serviceGroup = new SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'Event gateway router tasks: events and health checks from the load balancer only',
      allowAllOutbound: true,
    });
    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: settings.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      assignPublicIp: props.assignPublicIp ?? false,
      vpcSubnets: props.taskSubnets,
      securityGroups: [serviceGroup],
      healthCheckGracePeriod: Duration.seconds(30),
    });
    this.service.connections.allowFrom(loadBalancerGroup, Port.tcp(EVENTS_PORT), 'Events from the load balancer');
    this.service.connections.allowFrom(loadBalancerGroup, Port.tcp(ADMIN_PORT), 'Health checks from the load balancer');

    this.targetGroup = new ApplicationTargetGroup(this, 'Targets', {
      vpc,
      port: EVENTS_PORT,
      protocol: ApplicationProtocol.HTTP,
      targetType: TargetType.IP,
      deregistrationDelay: DEREGISTRATION_DELAY,
      healthCheck: {
        port: String(ADMIN_PORT),
        path: HEALTH_CHECK_PATH,
        protocol: Protocol.HTTP,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      targets: [this.service.loadBalancerTarget({ containerName: ROUTER_CONTAINER_NAME, containerPort: EVENTS_PORT })],
    });

    if (props.certificateArn) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: ApplicationProtocol.HTTPS,
        certificates: [ListenerCertificate.fromArn(props.certificateArn)],
        sslPolicy: SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open: true,
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, sourceProtocol: ApplicationProtocol.HTTP, targetPort: 443, targetProtocol: ApplicationProtocol.HTTPS });
      this.eventsUrl = `https://${this.loadBalancer.loadBalancerDnsName}`;
    } else {
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
        open: true,
      });
      this.eventsUrl = `http://${this.loadBalancer.loadBalancerDnsName}`;
    }

    const scaling = this.service.autoScaleTaskCount({ minCapacity: settings.minTasks, maxCapacity: settings.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: settings.targetCpuPercent,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(180),
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: settings.requestsPerTaskPerMinute,
      targetGroup: this.targetGroup,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(180),
    });
  }
}

import type { StackProps } from 'aws-cdk-lib';
import { DEFAULT_TABLE_PREFIX } from '../adapters/registry/dynamodb/tables.js';
import { Cidr } from '../invokers/http/ssrf-guard.js';
import { DEFAULT_METRICS_NAMESPACE } from '../settings/index.js';
import { PROMETHEUS_SIDECAR_MEMORY_MIB, PROMETHEUS_WORKSPACE_ARN } from './router/prometheus.js';
import { parseTargetArn } from './targets/targets.js';
import { connectorSourceProblems } from './connectors/sources.js';

/** A VPC that already exists, passed by ids (never looked up: synthesis stays offline). */
export interface ExistingVpcProps {
  /** e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
  /** The zones of the subnets below, in the same order (one subnet of each list per zone). */
  readonly availabilityZones: readonly string[];
  /** Subnets with a route to an internet gateway, for the public load balancer (two zones at least). */
  readonly publicSubnetIds: readonly string[];
  /** Subnets with outbound access (NAT or endpoints) for the router tasks. */
  readonly privateSubnetIds: readonly string[];
}

/**
 * Installation profiles (`-c profile=…`). `default`: tasks in private subnets behind NAT, two tasks at least.
 * `small`: the cheapest install that still runs everything, for trials and low traffic (docs/cost.md#the-small-profile):
 * one router task (autoscaling up to two) in a public subnet with a public IPv4 address and no NAT gateway; its
 * security group still lets in only the load balancer. Refused with `production` and with an existing VPC.
 */
export const INSTALL_PROFILES = ['default', 'small'] as const;
export type InstallProfile = (typeof INSTALL_PROFILES)[number];

/** What the small profile changes; any explicit prop still wins over these. */
export const SMALL_PROFILE = { natGateways: 0, sqsEndpoint: false, minTasks: 1, maxTasks: 2 } as const;

/** The router service (ECS Fargate behind the ALB). */
export interface RouterProps {
  /** Task CPU units (1024 = one vCPU). @default 512 */
  readonly cpu?: number;
  /** Task memory in MiB; must suit `cpu` (Fargate's table). @default 1024 */
  readonly memoryLimitMiB?: number;
  /** Tasks always running; also the desired count at deploy. @default 2, 1 with profile small */
  readonly minTasks?: number;
  /** Upper bound of autoscaling. @default 10, 2 with profile small */
  readonly maxTasks?: number;
  /** Average CPU the CPU scaling policy keeps tasks at, in percent. @default 60 */
  readonly targetCpuPercent?: number;
  /** ALB requests per task per minute the request-count policy keeps tasks at. @default 30000 */
  readonly requestsPerTaskPerMinute?: number;
}

/** Alarm thresholds. */
export interface AlarmProps {
  /** 5xx answers of the events API or the config API, in percent of its requests over 5 minutes. @default 1 */
  readonly max5xxPercent?: number;
  /** p99 of the ALB's target response time, in milliseconds. @default 1000 */
  readonly maxP99LatencyMs?: number;
  /** Average router CPU, in percent, for 15 minutes. @default 80 */
  readonly maxRouterCpuPercent?: number;
  /** Where alarms send their state changes (an SNS topic ARN). @default a new encrypted SNS topic of the stack */
  readonly topicArn?: string;
  /** An e-mail address subscribed to the stack's own topic (ignored with `topicArn`). @default none: subscribe yourself */
  readonly email?: string;
  /** Events API requests over 5 minutes below which the 5xx-rate alarm stays quiet (no noise at low traffic). @default 100 */
  readonly min5xxRequests?: number;
  /** Events refused with 429 (queue full), in percent of events received over 5 minutes. @default 1 */
  readonly max429Percent?: number;
  /** Age of the oldest message in the delivery queue, in seconds. @default 1800 */
  readonly maxQueueAgeSeconds?: number;
}

/** Everything the event gateway stack can be built with. Defaults are applied once, in {@link resolveEventGatewayProps}. */
export interface EventGatewayStackProps extends StackProps {
  /**
   * Prefix of the three DynamoDB tables (`<prefix>registry`, `<prefix>changes`, `<prefix>deadletters`). Two stacks
   * in one account and region need different prefixes.
   * @default 'event-gateway-'
   */
  readonly tablePrefix?: string;
  /**
   * The installation profile (`-c profile=small`): `small` is one router task in a public subnet of a new VPC with
   * no NAT gateway and no interface endpoint (see {@link INSTALL_PROFILES}). Not with `production` or `existingVpc`.
   * @default 'default'
   */
  readonly profile?: InstallProfile;
  /** Use this VPC instead of creating one. @default a new VPC: two zones, public and private subnets */
  readonly existingVpc?: ExistingVpcProps;
  /**
   * NAT gateways of the new VPC (ignored with `existingVpc`). Production guidance: one per zone (2), so losing a
   * zone does not cut the other zone's tasks off the internet.
   * @default 2 with `production`, 0 with profile small, else 1
   */
  readonly natGateways?: number;
  /**
   * An ACM certificate for the events API: HTTPS on 443, and port 80 redirects to it. Required unless
   * `allowHttp` is set.
   * @default none: synthesis fails unless `allowHttp` is true
   */
  readonly certificateArn?: string;
  /**
   * Serve the events API over plain HTTP on port 80 when no `certificateArn` is given (`-c allowHttp=true`):
   * events, their payloads and access keys then cross the internet unencrypted. For trials and private networks.
   * @default false
   */
  readonly allowHttp?: boolean;
  /**
   * A production deploy (`-c production=true`): deletion protection on the load balancer and the three tables,
   * and one NAT gateway per zone unless `natGateways` says otherwise.
   * @default false
   */
  readonly production?: boolean;
  /**
   * Concurrent delivery Lambda invocations the SQS event source may run (`maxConcurrency`, 2–1000): bounds the
   * load on targets and leaves the account's concurrency to the config API and the other functions.
   * @default 50
   */
  readonly deliveryMaxConcurrency?: number;
  /** Reserved concurrency of the config API Lambda: a delivery burst can never starve it. @default 5 */
  readonly configApiReservedConcurrency?: number;
  /**
   * An SQS interface endpoint in the new VPC (ignored with `existingVpc`), so the router's queue traffic stays off
   * the NAT gateways. With profile small it sits in the public subnets of the task.
   * @default true, false with profile small (queue traffic leaves through the internet gateway, free of charge)
   */
  readonly sqsEndpoint?: boolean;
  /**
   * Prometheus on AWS: an ADOT collector sidecar in the router task scrapes the router's `/v1/metrics` over the
   * task's loopback and remote-writes to an Amazon Managed Service for Prometheus workspace, a new one or
   * `workspaceArn` (`-c prometheus=true`, `-c prometheusWorkspaceArn=…`).
   * @default none: no sidecar, no workspace
   */
  readonly prometheus?: { readonly workspaceArn?: string };
  /**
   * The only Lambda functions, Kinesis streams, Firehose delivery streams and SQS queues the router and the
   * delivery worker may call (functions of type `awslambda`, `awskinesis`, `awsfirehose`, `awssqs`). Each one is
   * granted exactly the call the gateway makes: `lambda:InvokeFunction`, `kinesis:PutRecord`,
   * `firehose:PutRecord`, `sqs:SendMessage`. A `*` in an ARN is allowed and reviewed by cdk-nag as a finding of
   * its own.
   * @default none: only `http` functions can be called
   */
  readonly allowedTargetArns?: readonly string[];
  /**
   * KMS keys of encrypted target streams and queues: `kms:GenerateDataKey` for the same two roles, and
   * `kms:Decrypt` as well when an SQS queue is among the targets (sending to a KMS-encrypted queue needs both).
   * @default none
   */
  readonly allowedTargetKeyArns?: readonly string[];
  /**
   * What connections may read on AWS (docs/connectors-aws.md): the Kinesis streams, DynamoDB streams, SQS queues and
   * Amazon MQ brokers the connector Lambda's role may read through event source mappings, with the Secrets Manager
   * secrets those brokers sign in with and the KMS keys of encrypted sources. A `*` may stand for any part. A
   * connection whose source is not covered is refused with a 400 (Lambda checks the role when the mapping is made).
   * @default this account's Kinesis streams, DynamoDB streams and SQS queues in the stack's region; no Amazon MQ
   */
  readonly connectorSourceArns?: readonly string[];
  /**
   * Private address ranges `http` functions may reach (`--allow-targets`, docs/compatibility.md#ssrf-guard); everything
   * private is refused otherwise.
   * @default none
   */
  readonly allowTargets?: readonly string[];
  /** @default see {@link RouterProps} */
  readonly router?: RouterProps;
  /** @default see {@link AlarmProps} */
  readonly alarms?: AlarmProps;
  /** Requests per second the config API accepts (API Gateway stage throttle); the burst is twice this. @default 50 */
  readonly configApiRateLimit?: number;
  /** Keep the tables and the access-log bucket when the stack is deleted. @default true */
  readonly retainData?: boolean;
  /** Days the log groups keep logs. @default 30 */
  readonly logRetentionDays?: number;
  /** CloudWatch namespace of the apps' Embedded Metric Format metrics. @default 'EventGateway' */
  readonly metricsNamespace?: string;
}

export type ResolvedAlarmProps = Required<Omit<AlarmProps, 'topicArn' | 'email'>> & Pick<AlarmProps, 'topicArn' | 'email'>;

export interface ResolvedEventGatewayProps {
  profile: InstallProfile;
  tablePrefix: string;
  existingVpc?: ExistingVpcProps;
  natGateways: number;
  certificateArn?: string;
  allowedTargetArns: readonly string[];
  allowedTargetKeyArns: readonly string[];
  connectorSourceArns?: readonly string[];
  allowTargets: readonly string[];
  allowHttp: boolean;
  production: boolean;
  deliveryMaxConcurrency: number;
  configApiReservedConcurrency: number;
  sqsEndpoint: boolean;
  prometheus?: { readonly workspaceArn?: string };
  router: Required<RouterProps>;
  alarms: ResolvedAlarmProps;
  configApiRateLimit: number;
  retainData: boolean;
  logRetentionDays: number;
  metricsNamespace: string;
}

export function resolveEventGatewayProps(props: EventGatewayStackProps = {}): ResolvedEventGatewayProps {
  const router = props.router ?? {};
  const alarms = props.alarms ?? {};
  const profile = props.profile ?? 'default';
  const small = profile === 'small';
  return {
    profile,
    tablePrefix: props.tablePrefix ?? DEFAULT_TABLE_PREFIX,
    ...(props.existingVpc ? { existingVpc: props.existingVpc } : {}),
    natGateways: props.natGateways ?? (small ? SMALL_PROFILE.natGateways : props.production ? 2 : 1),
    ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
    allowHttp: props.allowHttp ?? false,
    production: props.production ?? false,
    deliveryMaxConcurrency: props.deliveryMaxConcurrency ?? 50,
    configApiReservedConcurrency: props.configApiReservedConcurrency ?? 5,
    sqsEndpoint: props.sqsEndpoint ?? (small ? SMALL_PROFILE.sqsEndpoint : true),
    ...(props.prometheus ? { prometheus: props.prometheus } : {}),
    allowedTargetArns: props.allowedTargetArns ?? [],
    allowedTargetKeyArns: props.allowedTargetKeyArns ?? [],
    ...(props.connectorSourceArns ? { connectorSourceArns: props.connectorSourceArns } : {}),
    allowTargets: props.allowTargets ?? [],
    router: {
      cpu: router.cpu ?? 512,
      memoryLimitMiB: router.memoryLimitMiB ?? 1024,
      minTasks: router.minTasks ?? (small ? SMALL_PROFILE.minTasks : 2),
      maxTasks: router.maxTasks ?? (small ? SMALL_PROFILE.maxTasks : 10),
      targetCpuPercent: router.targetCpuPercent ?? 60,
      requestsPerTaskPerMinute: router.requestsPerTaskPerMinute ?? 30_000,
    },
    alarms: {
      max5xxPercent: alarms.max5xxPercent ?? 1,
      maxP99LatencyMs: alarms.maxP99LatencyMs ?? 1000,
      maxRouterCpuPercent: alarms.maxRouterCpuPercent ?? 80,
      min5xxRequests: alarms.min5xxRequests ?? 100,
      max429Percent: alarms.max429Percent ?? 1,
      maxQueueAgeSeconds: alarms.maxQueueAgeSeconds ?? 1800,
      ...(alarms.topicArn ? { topicArn: alarms.topicArn } : {}),
      ...(alarms.email ? { email: alarms.email } : {}),
    },
    configApiRateLimit: props.configApiRateLimit ?? 50,
    retainData: props.retainData ?? true,
    logRetentionDays: props.logRetentionDays ?? 30,
    metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
  };
}

/** Thrown once at synthesis with every problem of the props, each naming the prop and the fix. */
export class EventGatewayPropsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the event gateway stack cannot be built:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EventGatewayPropsError';
  }
}

/** Fargate's valid memory sizes (MiB) for each CPU size. */
const FARGATE_MEMORY: Readonly<Record<number, (memory: number) => boolean>> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
  8192: (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
  16384: (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

const TABLE_PREFIX = /^[A-Za-z0-9_.-]{0,200}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_*-]+$/;
const METRICS_NAMESPACE = /^[A-Za-z0-9.\-_/#:]{1,255}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Why synthesis stops without a certificate, and the two ways on. */
export const HTTPS_REQUIRED =
  'certificateArn is not set, so the events API would serve events and access keys over plain HTTP on the internet. ' +
  'Give an ACM certificate (-c certificateArn=arn:aws:acm:<region>:<account>:certificate/<id>), or accept plain HTTP ' +
  'explicitly with -c allowHttp=true (prop allowHttp: true)';

/** Every problem of the resolved props (empty when they can be built). */
export function validateEventGatewayProps(props: ResolvedEventGatewayProps): string[] {
  const problems: string[] = [];
  if (!TABLE_PREFIX.test(props.tablePrefix)) {
    problems.push(`tablePrefix "${props.tablePrefix}" may hold only letters, digits, '_', '.' and '-' (200 at most)`);
  }
  if (!INSTALL_PROFILES.includes(props.profile)) {
    problems.push(`profile must be one of ${INSTALL_PROFILES.join(', ')}, not "${String(props.profile)}"`);
  }
  const small = props.profile === 'small';
  if (small && props.production) {
    problems.push(
      'profile small cannot be combined with production: it runs one task with no NAT gateway, so a task or zone failure ' +
        'stops the events API until ECS replaces the task. Deploy production with the default profile (drop -c profile=small)',
    );
  }
  if (small && props.existingVpc) {
    problems.push(
      'profile small builds its own VPC (public subnets only, no NAT gateway) and cannot use an existing VPC: drop the vpcId, ' +
        'availabilityZones, publicSubnetIds and privateSubnetIds, or size the router with routerMinTasks/routerMaxTasks instead',
    );
  }
  if (props.existingVpc) problems.push(...existingVpcProblems(props.existingVpc));
  else if (small) {
    if (props.natGateways !== 0) problems.push(`natGateways must be 0 with profile small (its task has a public IP instead), not ${props.natGateways}`);
  } else if (!Number.isInteger(props.natGateways) || props.natGateways < 1 || props.natGateways > 2) {
    problems.push(`natGateways must be 1 or 2 (the new VPC has two zones), not ${props.natGateways}`);
  }
  if (props.certificateArn === undefined && !props.allowHttp) problems.push(HTTPS_REQUIRED);
  if (props.certificateArn !== undefined && !CERTIFICATE_ARN.test(props.certificateArn)) {
    problems.push(`certificateArn "${props.certificateArn}" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)`);
  }
  for (const arn of props.allowedTargetArns) {
    try {
      parseTargetArn(arn);
    } catch (error) {
      problems.push(`allowedTargetArns: ${(error as Error).message}`);
    }
  }
  for (const arn of props.allowedTargetKeyArns) {
    if (!KMS_KEY_ARN.test(arn)) problems.push(`allowedTargetKeyArns: "${arn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
  }
  if (props.connectorSourceArns) problems.push(...connectorSourceProblems(props.connectorSourceArns));
  for (const cidr of props.allowTargets) {
    try {
      Cidr.parse(cidr);
    } catch (error) {
      problems.push(`allowTargets: ${(error as Error).message}`);
    }
  }
  const { router } = props;
  const fitsMemory = FARGATE_MEMORY[router.cpu];
  if (!fitsMemory) problems.push(`router.cpu must be one of ${Object.keys(FARGATE_MEMORY).join(', ')} (Fargate sizes), not ${router.cpu}`);
  else if (!fitsMemory(router.memoryLimitMiB)) {
    problems.push(`router.memoryLimitMiB ${router.memoryLimitMiB} is not a Fargate memory size for ${router.cpu} CPU units`);
  }
  if (!Number.isInteger(router.minTasks) || router.minTasks < 1) problems.push(`router.minTasks must be a whole number of at least 1, not ${router.minTasks}`);
  if (!Number.isInteger(router.maxTasks) || router.maxTasks < router.minTasks) {
    problems.push(`router.maxTasks must be a whole number of at least router.minTasks (${router.minTasks}), not ${router.maxTasks}`);
  }
  if (!(router.targetCpuPercent >= 10 && router.targetCpuPercent <= 90)) {
    problems.push(`router.targetCpuPercent must be from 10 to 90, not ${router.targetCpuPercent}`);
  }
  if (!Number.isInteger(router.requestsPerTaskPerMinute) || router.requestsPerTaskPerMinute < 1) {
    problems.push(`router.requestsPerTaskPerMinute must be a whole number of at least 1, not ${router.requestsPerTaskPerMinute}`);
  }
  const { alarms } = props;
  if (!(alarms.max5xxPercent > 0 && alarms.max5xxPercent <= 100)) problems.push(`alarms.max5xxPercent must be above 0 and at most 100, not ${alarms.max5xxPercent}`);
  if (!(alarms.maxP99LatencyMs > 0)) problems.push(`alarms.maxP99LatencyMs must be above 0, not ${alarms.maxP99LatencyMs}`);
  if (!(alarms.maxRouterCpuPercent > 0 && alarms.maxRouterCpuPercent <= 100)) {
    problems.push(`alarms.maxRouterCpuPercent must be above 0 and at most 100, not ${alarms.maxRouterCpuPercent}`);
  }
  if (!(Number.isInteger(alarms.min5xxRequests) && alarms.min5xxRequests >= 0)) problems.push(`alarms.min5xxRequests must be a whole number of at least 0, not ${alarms.min5xxRequests}`);
  if (!(alarms.max429Percent > 0 && alarms.max429Percent <= 100)) problems.push(`alarms.max429Percent must be above 0 and at most 100, not ${alarms.max429Percent}`);
  if (!(Number.isInteger(alarms.maxQueueAgeSeconds) && alarms.maxQueueAgeSeconds >= 60)) {
    problems.push(`alarms.maxQueueAgeSeconds must be a whole number of at least 60, not ${alarms.maxQueueAgeSeconds}`);
  }
  if (props.prometheus?.workspaceArn !== undefined && !PROMETHEUS_WORKSPACE_ARN.test(props.prometheus.workspaceArn)) {
    problems.push(`prometheus.workspaceArn "${props.prometheus.workspaceArn}" is not a Managed Prometheus workspace ARN (arn:aws:aps:<region>:<account>:workspace/ws-<id>)`);
  }
  if (props.prometheus && fitsMemory?.(router.memoryLimitMiB) && router.memoryLimitMiB < 1024) {
    problems.push(`router.memoryLimitMiB must be at least 1024 with prometheus (the collector sidecar takes ${PROMETHEUS_SIDECAR_MEMORY_MIB} MiB), not ${router.memoryLimitMiB}`);
  }
  if (alarms.email !== undefined && !EMAIL.test(alarms.email)) problems.push(`alarms.email "${alarms.email}" is not an e-mail address`);
  if (!Number.isInteger(props.deliveryMaxConcurrency) || props.deliveryMaxConcurrency < 2 || props.deliveryMaxConcurrency > 1000) {
    problems.push(`deliveryMaxConcurrency must be a whole number from 2 to 1000 (SQS event source limits), not ${props.deliveryMaxConcurrency}`);
  }
  if (!Number.isInteger(props.configApiReservedConcurrency) || props.configApiReservedConcurrency < 1) {
    problems.push(`configApiReservedConcurrency must be a whole number of at least 1, not ${props.configApiReservedConcurrency}`);
  }
  if (alarms.topicArn !== undefined && !SNS_TOPIC_ARN.test(alarms.topicArn)) {
    problems.push(`alarms.topicArn "${alarms.topicArn}" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  }
  if (!Number.isInteger(props.configApiRateLimit) || props.configApiRateLimit < 1) {
    problems.push(`configApiRateLimit must be a whole number of at least 1, not ${props.configApiRateLimit}`);
  }
  if (!LOG_RETENTION_DAYS.includes(props.logRetentionDays)) {
    problems.push(`logRetentionDays must be one of CloudWatch's values (${LOG_RETENTION_DAYS.join(', ')}), not ${props.logRetentionDays}`);
  }
  if (!METRICS_NAMESPACE.test(props.metricsNamespace)) problems.push(`metricsNamespace "${props.metricsNamespace}" is not a CloudWatch namespace`);
  return problems;
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function existingVpcProblems(vpc: ExistingVpcProps): string[] {
  const problems: string[] = [];
  if (!VPC_ID.test(vpc.vpcId)) problems.push(`existingVpc.vpcId "${vpc.vpcId}" is not a VPC id (vpc-…)`);
  const zones = vpc.availabilityZones.length;
  if (zones < 2) problems.push(`existingVpc.availabilityZones must name two zones at least (the load balancer needs two), not ${zones}`);
  for (const [name, ids] of [['publicSubnetIds', vpc.publicSubnetIds], ['privateSubnetIds', vpc.privateSubnetIds]] as const) {
    if (ids.length !== zones) problems.push(`existingVpc.${name} must hold one subnet per zone (${zones}), not ${ids.length}`);
    for (const id of ids) if (!SUBNET_ID.test(id)) problems.push(`existingVpc.${name}: "${id}" is not a subnet id (subnet-…)`);
  }
  return problems;
}

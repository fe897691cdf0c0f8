import type { Node } from 'constructs';
import {
  EventGatewayPropsError,
  INSTALL_PROFILES,
  type EventGatewayStackProps,
  type InstallProfile,
  type RouterProps,
} from './props.js';

/**
 * The context keys `bin/cdk.ts` reads (`npx cdk deploy -c key=value`, or `context` in cdk.json). Lists are
 * comma-separated. Each maps to one prop of {@link EventGatewayStackProps}.
 */
export const CONTEXT_KEYS = {
  stackName: 'the stack name (default EventGateway)',
  profile: 'profile (default or small: one task in a public subnet, no NAT gateway)',
  tablePrefix: 'tablePrefix',
  vpcId: 'existingVpc.vpcId (with availabilityZones, publicSubnetIds, privateSubnetIds)',
  availabilityZones: 'existingVpc.availabilityZones',
  publicSubnetIds: 'existingVpc.publicSubnetIds',
  privateSubnetIds: 'existingVpc.privateSubnetIds',
  natGateways: 'natGateways',
  certificateArn: 'certificateArn',
  allowHttp: 'allowHttp (true: plain HTTP without a certificate)',
  production: 'production (true: deletion protection, one NAT gateway per zone)',
  deliveryMaxConcurrency: 'deliveryMaxConcurrency',
  configApiReservedConcurrency: 'configApiReservedConcurrency',
  sqsEndpoint: 'sqsEndpoint (true or false)',
  prometheus: 'prometheus (true: an ADOT sidecar remote-writing to a new Managed Prometheus workspace)',
  prometheusWorkspaceArn: 'prometheus.workspaceArn (implies prometheus=true)',
  allowedTargetArns: 'allowedTargetArns',
  allowedTargetKeyArns: 'allowedTargetKeyArns',
  allowTargets: 'allowTargets',
  connectorSourceArns: 'connectorSourceArns (what connections may read on AWS)',
  routerCpu: 'router.cpu',
  routerMemoryMiB: 'router.memoryLimitMiB',
  routerMinTasks: 'router.minTasks',
  routerMaxTasks: 'router.maxTasks',
  alarmTopicArn: 'alarms.topicArn',
  alarmEmail: 'alarms.email',
  configApiRateLimit: 'configApiRateLimit',
  retainData: 'retainData (true or false)',
  logRetentionDays: 'logRetentionDays',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** The stack's name and props from the app's context; throws an {@link EventGatewayPropsError} naming every bad key. */
export function propsFromContext(node: Pick<Node, 'tryGetContext'>): { stackName: string; props: EventGatewayStackProps } {
  const problems: string[] = [];
  const text = (key: ContextKey): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value).trim();
    if (Array.isArray(value)) return value.join(',');
    problems.push(`context ${key} must be a string, not ${JSON.stringify(value)}`);
    return undefined;
  };
  const list = (key: ContextKey): string[] | undefined =>
    text(key)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const number = (key: ContextKey): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) problems.push(`context ${key} must be a number, not "${value}"`);
    return n;
  };
  const bool = (key: ContextKey): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') problems.push(`context ${key} must be true or false, not "${value}"`);
    return value === 'true';
  };

  const vpcKeys = ['vpcId', 'availabilityZones', 'publicSubnetIds', 'privateSubnetIds'] as const;
  const vpcGiven = vpcKeys.filter((key) => text(key) !== undefined);
  if (vpcGiven.length > 0 && vpcGiven.length < vpcKeys.length) {
    problems.push(`an existing VPC needs all of ${vpcKeys.join(', ')}; missing: ${vpcKeys.filter((k) => !vpcGiven.includes(k)).join(', ')}`);
  }
  const router: RouterProps = {
    ...defined('cpu', number('routerCpu')),
    ...defined('memoryLimitMiB', number('routerMemoryMiB')),
    ...defined('minTasks', number('routerMinTasks')),
    ...defined('maxTasks', number('routerMaxTasks')),
  };
  const profile = text('profile');
  if (profile !== undefined && !isInstallProfile(profile)) {
    problems.push(`context profile must be one of ${INSTALL_PROFILES.join(', ')}, not "${profile}"`);
  }
  const props: EventGatewayStackProps = {
    ...(profile !== undefined && isInstallProfile(profile) ? { profile } : {}),
    ...defined('tablePrefix', text('tablePrefix')),
    ...(vpcGiven.length === vpcKeys.length
      ? {
          existingVpc: {
            vpcId: text('vpcId')!,
            availabilityZones: list('availabilityZones')!,
            publicSubnetIds: list('publicSubnetIds')!,
            privateSubnetIds: list('privateSubnetIds')!,
          },
        }
      : {}),
    ...defined('natGateways', number('natGateways')),
    ...defined('certificateArn', text('certificateArn')),
    ...defined('allowedTargetArns', list('allowedTargetArns')),
    ...defined('allowedTargetKeyArns', list('allowedTargetKeyArns')),
    ...defined('allowTargets', list('allowTargets')),
    ...defined('connectorSourceArns', list('connectorSourceArns')),
    ...(Object.keys(router).length > 0 ? { router } : {}),
    ...(text('alarmTopicArn') || text('alarmEmail')
      ? { alarms: { ...defined('topicArn', text('alarmTopicArn')), ...defined('email', text('alarmEmail')) } }
      : {}),
    ...defined('allowHttp', bool('allowHttp')),
    ...defined('production', bool('production')),
    ...defined('deliveryMaxConcurrency', number('deliveryMaxConcurrency')),
    ...defined('configApiReservedConcurrency', number('configApiReservedConcurrency')),
    ...defined('sqsEndpoint', bool('sqsEndpoint')),
    ...(text('prometheusWorkspaceArn')
      ? { prometheus: { workspaceArn: text('prometheusWorkspaceArn')! } }
      : bool('prometheus')
        ? { prometheus: {} }
        : {}),
    ...defined('configApiRateLimit', number('configApiRateLimit')),
    ...defined('retainData', bool('retainData')),
    ...defined('logRetentionDays', number('logRetentionDays')),
  };
  if (problems.length > 0) throw new EventGatewayPropsError(problems);
  return { stackName: text('stackName') ?? 'EventGateway', props };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isInstallProfile(value: string): value is InstallProfile {
  return (INSTALL_PROFILES as readonly string[]).includes(value);
}

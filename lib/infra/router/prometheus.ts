import { Aws, Duration } from 'aws-cdk-lib';
import { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import { ContainerImage, LogDrivers, type FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The AWS Distro for OpenTelemetry collector, pinned: a new version is a reviewed change. */
export const ADOT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3';
export const PROMETHEUS_SIDECAR_NAME = 'PrometheusCollector';
/** The sidecar's share of the task's memory (MiB): its hard limit; the router gets the rest. */
export const PROMETHEUS_SIDECAR_MEMORY_MIB = 256;
/** How often the sidecar scrapes the router. */
export const PROMETHEUS_SCRAPE_INTERVAL = Duration.seconds(30);
/** The Managed Prometheus workspace ARN shape (`arn:aws:aps:<region>:<account>:workspace/ws-…`). */
export const PROMETHEUS_WORKSPACE_ARN = /^arn:aws[a-z-]*:aps:([a-z0-9-]+):\d{12}:workspace\/(ws-[A-Za-z0-9-]+)$/;

export interface PrometheusSidecarProps {
  readonly taskDefinition: FargateTaskDefinition;
  /** Where the router's admin port listens inside the task. */
  readonly adminPort: number;
  /** The log group of the task: the sidecar logs under the `adot` prefix. */
  readonly logGroup: ILogGroup;
  /** Remote-write into this workspace. @default a new workspace of the stack */
  readonly workspaceArn?: string;
}

/**
 * An ADOT collector next to the router in its task: it scrapes `localhost:<admin port>/v1/metrics` (no key: the
 * router runs with `--loopback-metrics`, and only the task's own loopback is let in keyless) and remote-writes,
 * signed with SigV4 by the task role, into an Amazon Managed Service for Prometheus workspace. Not essential: a
 * failing collector loses metrics, never events.
 */
export class PrometheusSidecar extends Construct {
  /** The workspace (created, or the one given). */
  readonly workspaceArn: string;
  readonly remoteWriteUrl: string;
  /** The collector's configuration (YAML), as the container receives it in `AOT_CONFIG_CONTENT`. */
  readonly collectorConfig: string;

  constructor(scope: Construct, id: string, props: PrometheusSidecarProps) {
    super(scope, id);
    if (props.workspaceArn) {
      const match = PROMETHEUS_WORKSPACE_ARN.exec(props.workspaceArn);
      if (!match) throw new Error(`prometheus.workspaceArn "${props.workspaceArn}" is not an Amazon Managed Service for Prometheus workspace ARN`);
      this.workspaceArn = props.workspaceArn;
      this.remoteWriteUrl = `https://aps-workspaces.${match[1]}.amazonaws.com/workspaces/${match[2]}/api/v1/remote_write`;
    } else {
      const workspace = new CfnWorkspace(this, 'Workspace', { alias: `${Aws.STACK_NAME}-event-gateway` });
      this.workspaceArn = workspace.attrArn;
      // The endpoint ends with a slash: https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/
      this.remoteWriteUrl = `${workspace.attrPrometheusEndpoint}api/v1/remote_write`;
    }

    this.collectorConfig = [
      'extensions:',
      '  sigv4auth:',
      `    region: ${Aws.REGION}`,
      '    service: aps',
      'receivers:',
      '  prometheus:',
      '    config:',
      '      global:',
      `        scrape_interval: ${PROMETHEUS_SCRAPE_INTERVAL.toSeconds()}s`,
      '        scrape_timeout: 10s',
      '      scrape_configs:',
      '        - job_name: event-gateway',
      '          metrics_path: /v1/metrics',
      '          static_configs:',
      `            - targets: ['localhost:${props.adminPort}']`,
      'processors:',
      '  batch: {}',
      'exporters:',
      '  prometheusremotewrite:',
      `    endpoint: ${this.remoteWriteUrl}`,
      '    auth:',
      '      authenticator: sigv4auth',
      '    resource_to_telemetry_conversion:',
      '      enabled: true',
      'service:',
      '  extensions: [sigv4auth]',
      '  pipelines:',
      '    metrics:',
      '      receivers: [prometheus]',
      '      processors: [batch]',
      '      exporters: [prometheusremotewrite]',
      '',
    ].join('\n');

    props.taskDefinition.addContainer(PROMETHEUS_SIDECAR_NAME, {
      image: ContainerImage.fromRegistry(ADOT_COLLECTOR_IMAGE),
      essential: false,
      memoryLimitMiB: PROMETHEUS_SIDECAR_MEMORY_MIB,
      // The collector reads its whole configuration from this variable.
      environment: { AOT_CONFIG_CONTENT: this.collectorConfig },
      logging: LogDrivers.awsLogs({ streamPrefix: 'adot', logGroup: props.logGroup }),
    });
    Grant.addToPrincipal({ grantee: props.taskDefinition.taskRole, actions: ['aps:RemoteWrite'], resourceArns: [this.workspaceArn] });
  }
}

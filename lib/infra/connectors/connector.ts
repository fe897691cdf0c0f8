import { Duration, Stack, ArnFormat } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { settingsEnv } from '../../settings/index.js';
import { GatewayFunction } from '../lambdas/gateway-function.js';
import { acknowledgeFinding } from '../nag.js';
import { TABLE_ACCESS, grantQueueSend, grantTableAccess, type GatewayTables } from '../permissions.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import {
  CONNECTOR_LIST_ACTIONS,
  CONNECTOR_MQ_NETWORK_ACTIONS,
  CONNECTOR_SOURCE_ACTIONS,
  parseConnectorSourceArn,
  type ConnectorSourceService,
} from './sources.js';

/**
 * How long one batch of a mapping may run. SQS refuses a mapping to a function whose timeout is longer than the
 * queue's visibility timeout: 30 s is SQS's default visibility timeout, so a queue made with defaults can be read.
 */
export const CONNECTOR_TIMEOUT = Duration.seconds(30);

/** The calls the config API makes on the connector's mappings (lib/connectors/aws/mappings.ts). */
export const MAPPING_ACTIONS = {
  /** Resource `*` (the mapping does not exist yet); limited by `lambda:FunctionArn` to the connector. */
  create: ['lambda:CreateEventSourceMapping'],
  /** On mappings; limited by `lambda:FunctionArn` to the connector's. */
  change: ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
  /** No resource-level permissions and no condition key: resource `*`. Listing shows settings, never records. */
  list: ['lambda:ListEventSourceMappings'],
} as const;

export interface ConnectorProps {
  /** Settings shared by the handlers (`settingsEnv`, lib/settings). */
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: GatewayTables;
  readonly queue: DeliveryQueue;
  /** The events API's URL: a connection whose `target` is on it is emitted in-process. */
  readonly eventsUrl: string;
  /**
   * What connections may read (see {@link parseConnectorSourceArn}).
   * @default this account's Kinesis streams, DynamoDB streams and SQS queues in the stack's region; no Amazon MQ
   */
  readonly sourceArns?: readonly string[];
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Keep the log group when the stack is deleted. @default true */
  readonly retain?: boolean;
}

/**
 * Connections on AWS (docs/connectors-aws.md): the connector Lambda, target of the event source mappings the config
 * API makes for connections, with a role that reads the allowed sources, reads the registry, writes the fan-out
 * queue and keeps dead letters. {@link Connector.allowMappings} lets the config API make, change and delete this
 * function's mappings and no other function's. The mappings are not in the template: connections come and go at
 * runtime, so the config API reconciles them on every change.
 */
export class Connector extends Construct {
  readonly function: GatewayFunction;
  /** What the connector's role may read, from `sourceArns`; none for an empty list (Lambda then refuses every mapping, and the API says why). */
  readonly sourcePolicy: Policy | undefined;
  /** The ARNs `sourcePolicy` grants reads on, by service. */
  readonly sources: ReadonlyMap<ConnectorSourceService, readonly string[]>;
  private mappingPolicy: Policy | undefined;

  constructor(scope: Construct, id: string, props: ConnectorProps) {
    super(scope, id);
    this.function = new GatewayFunction(this, 'Function', {
      handlerName: 'connector',
      description: 'Event gateway connector: batches of connection sources (event source mappings) into the gateway',
      memorySize: 512,
      timeout: CONNECTOR_TIMEOUT,
      environment: { ...props.environment, ...settingsEnv({ eventsUrl: props.eventsUrl }) },
      logRetentionDays: props.logRetentionDays ?? 30,
      retainLogs: props.retain ?? true,
    });
    grantTableAccess(this.function, props.tables, TABLE_ACCESS.connector);
    grantQueueSend(this.function, props.queue.queue, props.queue.encryptionKey);

    const sources = new Map<ConnectorSourceService, string[]>();
    if (props.sourceArns) {
      for (const arn of props.sourceArns) {
        const { service } = parseConnectorSourceArn(arn);
        sources.set(service, [...(sources.get(service) ?? []), arn]);
      }
    } else {
      for (const [service, arn] of Object.entries(defaultSourceArns(this)) as [ConnectorSourceService, string][]) sources.set(service, [arn]);
    }
    const sourceArns = [...sources.values()].flat();
    this.sources = sources;
    this.sourcePolicy = undefined;
    const statements = [...sources].map(([service, arns]) => new PolicyStatement({ effect: Effect.ALLOW, actions: [...CONNECTOR_SOURCE_ACTIONS[service]], resources: arns }));
    const listActions = [...sources.keys()].flatMap((service) => CONNECTOR_LIST_ACTIONS[service] ?? []);
    if (listActions.length > 0) statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions: listActions, resources: ['*'] }));
    if (sources.has('mq')) statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions: [...CONNECTOR_MQ_NETWORK_ACTIONS], resources: ['*'] }));
    if (statements.length === 0) return;
    const policy = new Policy(this, 'SourcePolicy', { statements });
    policy.attachToRole(this.function.role as IRole);
    this.sourcePolicy = policy;

    const wildcards = [...(listActions.length > 0 || sources.has('mq') ? ['*'] : []), ...sourceArns.filter((arn) => resolvedPattern(this, arn).includes('*'))];
    for (const arn of new Set(wildcards)) {
      acknowledgeFinding(
        policy,
        `AwsSolutions-IAM5[Resource::${resolvedPattern(this, arn)}]`,
        arn === '*'
          ? 'kinesis:ListStreams, dynamodb:ListStreams and the EC2 network-interface calls of an Amazon MQ mapping support no resource-level permissions.'
          : 'The sources connections may read are chosen at runtime: a pattern from connectorSourceArns, by default this account\'s streams and queues in the stack\'s region.',
      );
    }
  }

  /**
   * Lets `role` (the config API's) create, update and delete event source mappings to this function only (the
   * `lambda:FunctionArn` condition), and list mappings. No `iam:PassRole`: a mapping runs with the function's own role.
   */
  allowMappings(role: IRole): void {
    if (this.mappingPolicy) throw new Error('allowMappings was already called');
    const functionArn = { StringEquals: { 'lambda:FunctionArn': this.function.functionArn } };
    const mappingArns = Stack.of(this).formatArn({ service: 'lambda', resource: 'event-source-mapping', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.mappingPolicy = new Policy(this, 'MappingPolicy', {
      statements: [
        new PolicyStatement({ effect: Effect.ALLOW, actions: [...MAPPING_ACTIONS.create], resources: ['*'], conditions: functionArn }),
        new PolicyStatement({ effect: Effect.ALLOW, actions: [...MAPPING_ACTIONS.change], resources: [mappingArns], conditions: functionArn }),
        new PolicyStatement({ effect: Effect.ALLOW, actions: [...MAPPING_ACTIONS.list], resources: ['*'] }),
      ],
    });
    this.mappingPolicy.attachToRole(role);
    acknowledgeFinding(
      this.mappingPolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'lambda:CreateEventSourceMapping acts on no existing resource and is limited to the connector function by the lambda:FunctionArn condition; lambda:ListEventSourceMappings supports no resource-level permissions.',
    );
    acknowledgeFinding(
      this.mappingPolicy,
      `AwsSolutions-IAM5[Resource::${resolvedPattern(this, mappingArns)}]`,
      'Mapping ids are made at runtime, one per connection source: update and delete are limited to the connector function\'s mappings by the lambda:FunctionArn condition.',
    );
  }
}

/** This account's Kinesis streams, DynamoDB streams and SQS queues in the stack's region. */
export function defaultSourceArns(scope: Construct): Readonly<Partial<Record<ConnectorSourceService, string>>> {
  const stack = Stack.of(scope);
  return {
    kinesis: stack.formatArn({ service: 'kinesis', resource: 'stream', resourceName: '*' }),
    dynamodb: stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*/stream/*' }),
    sqs: stack.formatArn({ service: 'sqs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
  };
}

/** An ARN with tokens as cdk-nag names it in a finding id: `<AWS::Partition>` etc. */
function resolvedPattern(scope: Construct, arn: string): string {
  const resolved = Stack.of(scope).resolve(arn) as unknown;
  if (typeof resolved === 'string') return resolved;
  const parts = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
}

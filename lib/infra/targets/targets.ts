import { Effect, Policy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { serviceOfArn } from '../arns.js';
import { acknowledgeFinding } from '../nag.js';

/** The function types the gateway calls with AWS credentials, by the service in their ARN. */
export type TargetService = 'lambda' | 'kinesis' | 'firehose' | 'sqs';

/** The one action the gateway's invoker of each type calls (lib/invokers/aws). */
export const TARGET_ACTIONS: Readonly<Record<TargetService, string>> = {
  lambda: 'lambda:InvokeFunction',
  kinesis: 'kinesis:PutRecord',
  firehose: 'firehose:PutRecord',
  sqs: 'sqs:SendMessage',
};

const RESOURCE_SHAPE: Readonly<Record<TargetService, RegExp>> = {
  lambda: /^function:[A-Za-z0-9_*-]+(:[A-Za-z0-9_$*-]+)?$/,
  kinesis: /^stream\/[A-Za-z0-9_.*-]+$/,
  firehose: /^deliverystream\/[A-Za-z0-9_.*-]+$/,
  sqs: /^[A-Za-z0-9_*-]+(\.fifo)?$/,
};

/** Which service an allowed target ARN names. Throws an Error that names the ARN and what is accepted. */
export function parseTargetArn(arn: string): { service: TargetService; arn: string } {
  const service = serviceOfArn(arn, RESOURCE_SHAPE);
  if (service) return { service, arn };
  throw new Error(
    `"${arn}" is not the ARN of a Lambda function (arn:aws:lambda:<region>:<account>:function:<name>), a Kinesis stream ` +
      '(…:kinesis:…:stream/<name>), a Firehose delivery stream (…:firehose:…:deliverystream/<name>) or an SQS queue (…:sqs:…:<name>)',
  );
}

/**
 * An `http` function with `awsSigV4` auth (`service: lambda`) calling a Lambda function URL whose auth type is
 * AWS_IAM signs with the gateway's role, which then needs `lambda:InvokeFunctionUrl` on that function. Granted on the
 * same allowed Lambda ARNs as `lambda:InvokeFunction` (the deployer allowed calling those functions), and only for
 * URLs with IAM auth: a URL with auth type NONE needs no permission at all.
 */
export const FUNCTION_URL_ACTION = 'lambda:InvokeFunctionUrl';

function functionUrlStatement(functionArns: readonly string[]): PolicyStatement {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: [FUNCTION_URL_ACTION],
    resources: [...functionArns],
    conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
  });
}

export interface TargetAccessProps {
  /** ARNs of the functions, streams and queues that may be called (validated with {@link parseTargetArn}). */
  readonly allowedTargetArns: readonly string[];
  /** KMS keys of encrypted targets: `kms:GenerateDataKey`, and `kms:Decrypt` too when an SQS queue is allowed. @default none */
  readonly allowedTargetKeyArns?: readonly string[];
}

/**
 * One policy with the calls the gateway makes to its AWS function targets, restricted to the allowed ARNs: one
 * statement per service, each with the single action of that service's invoker. Attach it to every role that
 * invokes functions (the router task and the delivery Lambda). Nothing is created when no ARN is allowed.
 */
export class TargetAccess extends Construct {
  /** The policy, or undefined when no ARN is allowed. */
  readonly policy: Policy | undefined;
  readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: TargetAccessProps) {
    super(scope, id);
    const byService = new Map<TargetService, string[]>();
    for (const arn of props.allowedTargetArns) {
      const { service } = parseTargetArn(arn);
      byService.set(service, [...(byService.get(service) ?? []), arn]);
    }
    const statements = [...byService].map(
      ([service, arns]) => new PolicyStatement({ effect: Effect.ALLOW, actions: [TARGET_ACTIONS[service]], resources: arns }),
    );
    const functions = byService.get('lambda');
    if (functions) statements.push(functionUrlStatement(functions));
    const keyArns = props.allowedTargetKeyArns ?? [];
    if (keyArns.length > 0) {
      // Kinesis encrypts with a data key; SQS also decrypts it to send to a KMS-encrypted queue (else KMS.AccessDeniedException).
      const actions = byService.has('sqs') ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:GenerateDataKey'];
      statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [...keyArns] }));
    }
    this.statements = statements;
    if (statements.length === 0) return;
    this.policy = new Policy(this, 'Policy', { statements });
    // Patterns come from the deployer's own list: acknowledged one by one, each with the ARN in its finding id.
    const patterns = [...props.allowedTargetArns, ...keyArns].filter((arn) => arn.includes('*'));
    for (const arn of patterns) {
      acknowledgeFinding(
        this.policy,
        `AwsSolutions-IAM5[Resource::${arn}]`,
        'A pattern the deployer listed in allowedTargetArns/allowedTargetKeyArns: the targets it names are the ones the gateway may call.',
      );
    }
  }

  /** Gives `role` the calls to the allowed targets. */
  attachTo(role: IRole): void {
    this.policy?.attachToRole(role);
  }
}

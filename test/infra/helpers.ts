import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventGatewayStack, type EventGatewayStackProps } from '../../lib/infra/index.js';

/** The feature flags of cdk.json, so the tests see the template `cdk synth` makes. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

export interface BuiltStack {
  app: App;
  stack: EventGatewayStack;
  template: Template;
}

/**
 * The stack with `props` (plain HTTP allowed unless a test says otherwise, as most tests need no certificate), synthesized without bundling the Lambdas (`aws:cdk:bundling-stacks` empty) and without
 * the built-in CloudFormation schema validation: both run in the `cdk synth` test, and skipping them here keeps
 * each of these tests under a second.
 */
export function buildStack(props: EventGatewayStackProps = {}, id = 'Test'): BuiltStack {
  const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new EventGatewayStack(app, id, { allowHttp: true, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The one resource of `type` whose properties match; fails unless exactly one does. */
export function only<T = Record<string, unknown>>(template: Template, type: string, props?: unknown): T {
  const found = Object.values(template.findResources(type, props === undefined ? undefined : { Properties: props }));
  if (found.length !== 1) throw new Error(`expected one ${type}${props ? ' matching' : ''}, found ${found.length}`);
  return found[0] as T;
}

export const TARGETS = {
  lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:orders',
  kinesis: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks',
  firehose: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/archive',
  sqs: 'arn:aws:sqs:eu-west-1:123456789012:jobs',
} as const;

export const EXISTING_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  publicSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
  privateSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
} as const;

export const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

/** IAM statements of every policy in the template, with the policy's roles. */
export function statements(template: Template): Array<{ roles: unknown[]; action: string[]; resource: unknown[] }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const props = policy.Properties as { Roles?: unknown[]; PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } };
    return props.PolicyDocument.Statement.map((s) => ({
      roles: props.Roles ?? [],
      action: ([] as string[]).concat(s.Action),
      resource: ([] as unknown[]).concat(s.Resource),
    }));
  });
}

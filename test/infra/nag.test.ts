import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Function as LambdaFunction, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { CERTIFICATE_ARN, EXISTING_VPC, TARGETS, buildStack } from './helpers.js';

/** The cdk-nag AwsSolutions and Serverless findings nobody acknowledged, as `rule at path`. */
function findings(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`)),
  );
}

/** Every cdk-nag acknowledgement in the tree: where it sits, the rule and the reason. */
function acknowledgements(scope: IConstruct): Array<{ node: IConstruct; rule: string; reason: string }> {
  return scope.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ node, rule: id.replace(/^annotation::/i, ''), reason }))
      .filter(({ rule }) => rule.startsWith('AwsSolutions-') || rule.startsWith('Serverless-')),
  );
}

const configurations = {
  'the defaults': {},
  'HTTPS, an existing VPC and target patterns': {
    certificateArn: CERTIFICATE_ARN,
    existingVpc: EXISTING_VPC,
    allowedTargetArns: [...Object.values(TARGETS), 'arn:aws:lambda:eu-west-1:123456789012:function:orders-*'],
    allowedTargetKeyArns: ['arn:aws:kms:eu-west-1:123456789012:key/*'],
    alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' },
  },
  'production, Prometheus and an alarm e-mail': {
    allowHttp: true,
    production: true,
    prometheus: {},
    alarms: { email: 'oncall@example.com' },
  },
  'the small profile with HTTPS, targets and the SQS endpoint': {
    profile: 'small',
    certificateArn: CERTIFICATE_ARN,
    allowedTargetArns: Object.values(TARGETS),
    sqsEndpoint: true,
  },
} as const;

describe('cdk-nag AwsSolutions and Serverless', () => {
  for (const [name, props] of Object.entries(configurations)) {
    it(`reports no unacknowledged finding with ${name}`, () => {
      const { stack } = buildStack(props);
      assert.deepEqual(findings(stack), []);
    });
  }

  it('does report a finding the stack would introduce (the check is live)', () => {
    const { stack } = buildStack();
    new Queue(stack, 'UnsafeQueue', { enforceSSL: false });
    assert.ok(findings(stack).some((f) => /^AwsSolutions-SQS4 at Test\/UnsafeQueue/.test(f)), findings(stack).join('\n'));
  });

  it('does report a Serverless finding the stack would introduce (the second pack is live)', () => {
    const { stack } = buildStack();
    new LambdaFunction(stack, 'UntracedFunction', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => 1') });
    assert.ok(findings(stack).some((f) => /^Serverless-LambdaTracing at Test\/UntracedFunction/.test(f)), findings(stack).join('\n'));
  });

  it('acknowledges every finding on the resource it concerns, never on the app or the stack', () => {
    for (const props of Object.values(configurations)) {
      const { app, stack } = buildStack(props);
      const found = acknowledgements(app);
      assert.ok(found.length >= 7);
      for (const { node, rule } of found) {
        assert.ok(!(node instanceof App) && !Stack.isStack(node), `${rule} is acknowledged on ${node.node.path}`);
        assert.ok(CfnResource.isCfnResource(node), `${rule} is acknowledged on ${node.node.path}, which is not one resource`);
      }
      assert.equal(stack.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && /AwsSolutions|Serverless/.test(JSON.stringify(m.data))).length, 0);
    }
  });

  it('gives every acknowledgement a reason, and README.md lists each one with it', () => {
    const docs = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const { app } = buildStack(configurations['HTTPS, an existing VPC and target patterns']);
    for (const { rule, reason } of acknowledgements(app)) {
      assert.ok(reason.length >= 40, `${rule}: "${reason}"`);
      const listed = rule.replace(/\[Resource::arn:[^\]]*\*[^\]]*\]$/, '[Resource::<pattern>]');
      assert.ok(docs.includes(listed), `README.md does not list ${listed}`);
      assert.ok(docs.includes(reason), `README.md does not give the reason of ${listed}: ${reason}`);
    }
  });
});

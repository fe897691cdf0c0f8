import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import {
  EventGatewayPropsError,
  EventGatewayStack,
  TARGET_ACTIONS,
  propsFromContext,
  resolveEventGatewayProps,
  validateEventGatewayProps,
} from '../../lib/infra/index.js';
import { CERTIFICATE_ARN, EXISTING_VPC, TARGETS, buildStack, statements } from './helpers.js';

describe('Prop: existingVpc', () => {
  const { stack, template } = buildStack({ existingVpc: EXISTING_VPC });

  it('creates no VPC, subnet or NAT gateway of its own', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('puts the load balancer in the public subnets and the tasks in the private subnets given by id', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Subnets: [...EXISTING_VPC.publicSubnetIds] });
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: [...EXISTING_VPC.privateSubnetIds] }) },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { VpcId: EXISTING_VPC.vpcId });
    assert.equal(stack.network.vpc.vpcId, EXISTING_VPC.vpcId);
  });

  it('is read from context by id, never looked up', () => {
    const { props } = propsFromContext(
      new App({
        context: {
          vpcId: EXISTING_VPC.vpcId,
          availabilityZones: EXISTING_VPC.availabilityZones.join(','),
          publicSubnetIds: EXISTING_VPC.publicSubnetIds.join(', '),
          privateSubnetIds: EXISTING_VPC.privateSubnetIds.join(','),
        },
      }).node,
    );
    assert.deepEqual(props.existingVpc, EXISTING_VPC);
  });
});

describe('Prop: a new VPC (the default)', () => {
  const { template } = buildStack();

  it('has two zones of public and private subnets, one NAT gateway, flow logs and a DynamoDB gateway endpoint', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({}) });
  });
});

describe('Prop: certificateArn', () => {
  const { stack, template } = buildStack({ certificateArn: CERTIFICATE_ARN });

  it('serves the events API over HTTPS with a TLS 1.2+ policy and redirects HTTP to it', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13'),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
    });
    template.hasOutput('EventsUrl', { Value: { 'Fn::Join': ['', ['https://', stack.resolve(stack.router.loadBalancer.loadBalancerDnsName)]] } });
  });
});

describe('Prop: allowedTargetArns', () => {
  const { stack, template } = buildStack({ allowedTargetArns: Object.values(TARGETS) });
  const ref = (token: string) => stack.resolve(token) as unknown;
  const targetStatements = statements(template).filter((s) => s.action.some((a) => Object.values(TARGET_ACTIONS).includes(a)));

  it('grants each service exactly the one call its invoker makes, on the allowed ARNs only', () => {
    const byAction = Object.fromEntries(
      targetStatements
        .filter((s) => ![stack.queue.queue.queueArn, stack.workers.invalidationFailures.queueArn].some((arn) => JSON.stringify(s.resource) === JSON.stringify([ref(arn)])))
        .map((s) => [s.action.join(','), s.resource]),
    );
    assert.deepEqual(byAction, {
      'lambda:InvokeFunction': [TARGETS.lambda],
      'kinesis:PutRecord': [TARGETS.kinesis],
      'firehose:PutRecord': [TARGETS.firehose],
      'sqs:SendMessage': [TARGETS.sqs],
    });
  });

  it('gives those calls to the router task and the delivery Lambda, and to no other role', () => {
    const invoke = targetStatements.find((s) => s.action.includes('lambda:InvokeFunction'));
    const roles = invoke!.roles.map((r) => JSON.stringify(r)).sort();
    const expected = [stack.router.taskDefinition.taskRole.roleName, stack.workers.delivery.role!.roleName].map((r) => JSON.stringify(ref(r))).sort();
    assert.deepEqual(roles, expected);
  });

  it('rejects an ARN that names no function, stream or queue at synthesis', () => {
    assert.throws(
      () => new EventGatewayStack(new App(), 'Bad', { allowedTargetArns: ['arn:aws:s3:::my-bucket'], allowHttp: true }),
      (error: unknown) => error instanceof EventGatewayPropsError && /allowedTargetArns: "arn:aws:s3:::my-bucket" is not the ARN/.test(error.message),
    );
  });
});

describe('Prop: allowTargets', () => {
  const { template } = buildStack({ allowTargets: ['10.0.0.0/8', '192.168.1.10/32'] });

  it('opens the ranges for http functions in the router and the delivery Lambda (--allow-targets)', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({ Environment: Match.arrayWith([{ Name: 'EVENT_GATEWAY_ALLOW_TARGETS', Value: '10.0.0.0/8,192.168.1.10/32' }]) }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('delivery'),
      Environment: { Variables: Match.objectLike({ EVENT_GATEWAY_ALLOW_TARGETS: '10.0.0.0/8,192.168.1.10/32' }) },
    });
  });
});

describe('Prop: alarms.topicArn', () => {
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:oncall';
  const { template } = buildStack({ alarms: { topicArn } });

  it('sends every alarm and its recovery to the topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    assert.equal(alarms.length, 14);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of alarms) {
      assert.deepEqual((alarm.Properties as { AlarmActions: unknown }).AlarmActions, [topicArn]);
      assert.deepEqual((alarm.Properties as { OKActions: unknown }).OKActions, [topicArn]);
    }
  });
});

describe('Prop: retainData', () => {
  const { template } = buildStack({ retainData: false });

  it('lets the stack delete the tables when set to false', () => {
    const deleted = template.findResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    // The three of the registry, and the limits table (never retained: its state rebuilds itself in a second).
    assert.equal(Object.keys(deleted).length, 4);
  });
});

describe('Function: validateEventGatewayProps', () => {
  it('finds nothing wrong with the defaults and a certificate', () => {
    assert.deepEqual(validateEventGatewayProps(resolveEventGatewayProps({ certificateArn: CERTIFICATE_ARN })), []);
  });

  it('reports every problem at once, each naming its prop', () => {
    const problems = validateEventGatewayProps(
      resolveEventGatewayProps({
        tablePrefix: 'bad prefix!',
        certificateArn: 'not-an-arn',
        allowTargets: ['10.0.0.0/33'],
        router: { cpu: 512, memoryLimitMiB: 512, minTasks: 3, maxTasks: 2 },
        existingVpc: { ...EXISTING_VPC, privateSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1'] },
        logRetentionDays: 31,
      }),
    );
    const props = problems.map((p) => /^[a-zA-Z.]+/.exec(p)?.[0]);
    assert.deepEqual(props, [
      'tablePrefix',
      'existingVpc.privateSubnetIds',
      'certificateArn',
      'allowTargets',
      'router.memoryLimitMiB',
      'router.maxTasks',
      'logRetentionDays',
    ]);
  });

  it('is thrown once, before any resource is built', () => {
    const app = new App();
    assert.throws(
      () => new EventGatewayStack(app, 'Bad', { tablePrefix: 'a b', natGateways: 3, allowHttp: true }),
      (error: unknown) => error instanceof EventGatewayPropsError && error.problems.length === 2,
    );
    assert.equal(app.node.findChild('Bad').node.children.length, 0);
  });
});

describe('Function: propsFromContext', () => {
  it('reads lists, numbers and booleans from -c key=value strings', () => {
    const { stackName, props } = propsFromContext(
      new App({
        context: {
          stackName: 'Gateway2',
          tablePrefix: 'gw2-',
          allowedTargetArns: `${TARGETS.lambda},${TARGETS.sqs}`,
          routerMinTasks: '3',
          retainData: 'false',
          alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall',
        },
      }).node,
    );
    assert.equal(stackName, 'Gateway2');
    assert.deepEqual(props, {
      tablePrefix: 'gw2-',
      allowedTargetArns: [TARGETS.lambda, TARGETS.sqs],
      router: { minTasks: 3 },
      retainData: false,
      alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' },
    });
  });

  it('names the missing keys of a partly given VPC', () => {
    assert.throws(
      () => propsFromContext(new App({ context: { vpcId: EXISTING_VPC.vpcId } }).node),
      /missing: availabilityZones, publicSubnetIds, privateSubnetIds/,
    );
  });
});

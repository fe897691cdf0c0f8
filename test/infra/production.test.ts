// The stack as it goes to production (issue "the stack in production"): secure defaults, bounded failure modes,
// grants, and alarms that reach someone, as the synthesized template shows them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import {
  EventGatewayPropsError,
  EventGatewayStack,
  HTTPS_REQUIRED,
  MAX_RECEIVE_COUNT,
  propsFromContext,
} from '../../lib/infra/index.js';
import { CERTIFICATE_ARN, TARGETS, buildStack, only, statements } from './helpers.js';

describe('Secure by default', () => {
  it('refuses to build without a certificate, naming -c allowHttp=true', () => {
    const app = new App();
    assert.throws(
      () => new EventGatewayStack(app, 'Plain', {}),
      (error: unknown) => error instanceof EventGatewayPropsError && error.message.includes('-c allowHttp=true') && error.problems.includes(HTTPS_REQUIRED),
    );
  });

  it('builds with a certificate alone, and with allowHttp alone', () => {
    assert.doesNotThrow(() => new EventGatewayStack(new App(), 'Https', { certificateArn: CERTIFICATE_ARN }));
    assert.doesNotThrow(() => new EventGatewayStack(new App(), 'Http', { allowHttp: true }));
  });

  it('reads allowHttp and production from context', () => {
    const { props } = propsFromContext(new App({ context: { allowHttp: 'true', production: 'true', deliveryMaxConcurrency: '20' } }).node);
    assert.deepEqual(props, { allowHttp: true, production: true, deliveryMaxConcurrency: 20 });
  });

  it('leaves deletion protection off and one NAT gateway by default', () => {
    const { template } = buildStack();
    const alb = only<{ Properties: { LoadBalancerAttributes: Array<{ Key: string; Value: string }> } }>(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.ok(!alb.Properties.LoadBalancerAttributes.some((a) => a.Key === 'deletion_protection.enabled' && a.Value === 'true'));
    template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: Match.absent() });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('with production: protects the load balancer and the three tables from deletion, and puts a NAT gateway in each zone', () => {
    const { template } = buildStack({ certificateArn: CERTIFICATE_ARN, production: true });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
    const protectedTables = template.findResources('AWS::DynamoDB::Table', { Properties: { DeletionProtectionEnabled: true } });
    assert.equal(Object.keys(protectedTables).length, 3);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });
});

describe('Bounded failure modes', () => {
  const { stack, template } = buildStack();
  const ref = (token: string) => stack.resolve(token) as unknown;

  it('caps the delivery event source at 50 concurrent invocations (a parameter)', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(stack.queue.queue.queueArn),
      ScalingConfig: { MaximumConcurrency: 50 },
    });
    const { template: tuned } = buildStack({ deliveryMaxConcurrency: 200 });
    tuned.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 200 } });
    assert.throws(() => buildStack({ deliveryMaxConcurrency: 1 }), /deliveryMaxConcurrency must be a whole number from 2 to 1000/);
  });

  it('reserves concurrency for the config API Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'Event gateway config API', ReservedConcurrentExecutions: 5 });
  });

  it('bisects, retries, ages out and sends what the Stream mapping gives up on to a failure queue with an alarm', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(stack.tables.registry.tableStreamArn!),
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: ref(stack.workers.invalidationFailures.queueArn) } },
    });
    const failureQueue = stack.resolve(stack.workers.invalidationFailures.queueName) as unknown;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: failureQueue }],
      Threshold: 1,
      AlarmActions: Match.anyValue(),
    });
  });

  it(`redrives after ${MAX_RECEIVE_COUNT} receives, and the DLQ keeps messages longer than the queue`, () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: ref(stack.queue.deadLetterQueue.queueArn), maxReceiveCount: 5 },
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, RedrivePolicy: Match.absent(), KmsMasterKeyId: Match.anyValue() });
  });
});

describe('Grants and network', () => {
  it('lets the router and the delivery Lambda decrypt with the listed keys when an SQS target is allowed', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = buildStack({ allowedTargetArns: [TARGETS.sqs], allowedTargetKeyArns: [keyArn] });
    const onKey = statements(template).filter((s) => JSON.stringify(s.resource) === JSON.stringify([keyArn]));
    assert.deepEqual(onKey.flatMap((s) => s.action).sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('grants only GenerateDataKey on the listed keys when no SQS target is allowed (Kinesis needs no more)', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = buildStack({ allowedTargetArns: [TARGETS.kinesis], allowedTargetKeyArns: [keyArn] });
    const onKey = statements(template).filter((s) => JSON.stringify(s.resource) === JSON.stringify([keyArn]));
    assert.deepEqual(onKey.flatMap((s) => s.action), ['kms:GenerateDataKey']);
  });

  it('adds an SQS interface endpoint open only to the router tasks, next to the DynamoDB gateway endpoint', () => {
    const { stack, template } = buildStack();
    const endpoint = only<{ Properties: { ServiceName: unknown } }>(template, 'AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    assert.match(JSON.stringify(endpoint.Properties.ServiceName), /\.sqs"/);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    const endpointGroup = stack.resolve(stack.network.sqsEndpoint!.connections.securityGroups[0]!.securityGroupId) as { 'Fn::GetAtt': [string, string] };
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: endpointGroup,
      FromPort: 443,
      SourceSecurityGroupId: stack.resolve(stack.router.service.connections.securityGroups[0]!.securityGroupId),
    });
    const { template: without } = buildStack({ sqsEndpoint: false });
    without.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  });

  it('gives the router container a hard memory limit and a heap below it', () => {
    const { template } = buildStack({ router: { cpu: 1024, memoryLimitMiB: 2048 } });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({ Name: 'Router', Memory: 2048, Environment: Match.arrayWith([{ Name: 'NODE_OPTIONS', Value: '--max-old-space-size=1536' }]) }),
      ]),
    });
  });
});

describe('Alarms that reach someone', () => {
  const { stack, template } = buildStack();
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as Record<string, unknown>);
  const text = alarms.map((a) => JSON.stringify(a));
  const alarmOn = (pattern: RegExp) => text.filter((a) => pattern.test(a));

  it('creates an encrypted topic that CloudWatch may publish to, and every alarm notifies it', () => {
    const topic = stack.resolve(stack.observability.topic.topicArn);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
    assert.equal(alarms.length, 14);
    for (const alarm of alarms) {
      assert.deepEqual(alarm['AlarmActions'], [topic]);
      assert.deepEqual(alarm['OKActions'], [topic]);
    }
    template.hasOutput('AlarmTopicArn', { Value: topic });
  });

  it('subscribes an e-mail address when given one', () => {
    const { template: withEmail } = buildStack({ alarms: { email: 'oncall@example.com' } });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('alarms on the 429 rate from the router metrics', () => {
    const [alarm] = alarmOn(/EventsRejected/);
    assert.match(alarm!, /EventsReceived/);
    assert.match(alarm!, /"Value":"router"/);
  });

  it('alarms on running tasks below desired (Container Insights)', () => {
    const [alarm] = alarmOn(/RunningTaskCount/);
    assert.match(alarm!, /DesiredTaskCount/);
    assert.match(alarm!, /ECS\/ContainerInsights/);
  });

  it("alarms on the main queue's oldest message, the Stream iterator age and the mapping's failure queue", () => {
    const queueName = JSON.stringify(stack.resolve(stack.queue.queue.queueName));
    assert.equal(alarmOn(/ApproximateAgeOfOldestMessage/).filter((a) => a.includes(queueName)).length, 1);
    assert.equal(alarmOn(/"MetricName":"IteratorAge"/).length, 1);
    const failureQueue = JSON.stringify(stack.resolve(stack.workers.invalidationFailures.queueName));
    assert.equal(alarmOn(/ApproximateNumberOfMessagesVisible/).filter((a) => a.includes(failureQueue)).length, 1);
  });

  it('alarms on DynamoDB throttles of the three tables and the limits table, and on delivery Lambda throttles', () => {
    const [dynamo] = alarmOn(/ReadThrottleEvents/);
    assert.equal((dynamo!.match(/ThrottleEvents/g) ?? []).length, 8);
    const delivery = JSON.stringify(stack.resolve(stack.workers.delivery.functionName));
    assert.equal(alarmOn(/"MetricName":"Throttles"/).filter((a) => a.includes(delivery)).length, 1);
  });

  it('alarms on router 5xx only above a minimum of requests', () => {
    const [alarm] = alarmOn(/HTTPCode_Target_5XX_Count/);
    assert.match(alarm!, /IF\(requests >= 100/);
    const { template: quiet } = buildStack({ alarms: { min5xxRequests: 500 } });
    assert.match(JSON.stringify(quiet.toJSON()), /IF\(requests >= 500/);
  });

  it("shows the router's EMF metrics on the dashboard", () => {
    const body = JSON.stringify(stack.resolve(template.toJSON()));
    for (const name of ['EventsAccepted', 'EventsUnrouted', 'SyncCallLatency', 'QueueSendLatency', 'ConfigPropagationLag', 'RoutingTableVersion']) {
      assert.match(body, new RegExp(name), name);
    }
  });
});

describe('Prometheus on AWS (off by default)', () => {
  it('adds no sidecar, workspace or loopback flag by default', () => {
    const { template } = buildStack();
    template.resourceCountIs('AWS::APS::Workspace', 0);
    const task = only<{ Properties: { ContainerDefinitions: Array<{ Name: string; Environment: Array<{ Name: string }> }> } }>(template, 'AWS::ECS::TaskDefinition');
    assert.deepEqual(task.Properties.ContainerDefinitions.map((c) => c.Name), ['Router']);
    assert.ok(!task.Properties.ContainerDefinitions[0]!.Environment.some((e) => e.Name === 'EVENT_GATEWAY_LOOPBACK_METRICS'));
  });

  describe('with a new workspace', () => {
    const { stack, template } = buildStack({ prometheus: {} });
    const task = only<{ Properties: { ContainerDefinitions: Array<Record<string, unknown>> } }>(template, 'AWS::ECS::TaskDefinition');
    const sidecar = task.Properties.ContainerDefinitions.find((c) => c['Name'] === 'PrometheusCollector')!;
    const router = task.Properties.ContainerDefinitions.find((c) => c['Name'] === 'Router')!;
    const config = JSON.stringify(stack.resolve((sidecar['Environment'] as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'AOT_CONFIG_CONTENT')!.Value));

    it('creates a workspace and runs the pinned ADOT collector as a non-essential sidecar with its own memory', () => {
      template.resourceCountIs('AWS::APS::Workspace', 1);
      assert.match(String(sidecar['Image']), /^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+$/);
      assert.equal(sidecar['Essential'], false);
      assert.equal(sidecar['Memory'], 256);
      assert.equal(router['Memory'], 1024 - 256, 'the router keeps the rest of the task');
      assert.ok(JSON.stringify(sidecar['LogConfiguration']).includes('adot'));
    });

    it('scrapes the router on localhost at the admin port and remote-writes to the workspace with SigV4', () => {
      assert.match(config, /metrics_path: \/v1\/metrics/);
      assert.match(config, /targets: \['localhost:4001'\]/);
      assert.match(config, /sigv4auth/);
      assert.match(config, /service: aps/);
      assert.match(config, /prometheusremotewrite/);
      assert.match(config, /PrometheusEndpoint/);
      assert.match(config, /api\/v1\/remote_write/);
    });

    it('starts the router with --loopback-metrics, so the scrape needs no key', () => {
      assert.ok((router['Environment'] as Array<{ Name: string; Value: string }>).some((e) => e.Name === 'EVENT_GATEWAY_LOOPBACK_METRICS' && e.Value === 'true'));
    });

    it('lets the task role remote-write to that workspace only', () => {
      const role = stack.resolve(stack.router.taskDefinition.taskRole.roleName) as unknown;
      const writes = statements(template).filter((s) => s.action.includes('aps:RemoteWrite'));
      assert.equal(writes.length, 1);
      assert.deepEqual(writes[0]!.action, ['aps:RemoteWrite']);
      assert.deepEqual(writes[0]!.resource, [stack.resolve(stack.router.prometheus!.workspaceArn)]);
      assert.deepEqual(writes[0]!.roles, [role]);
    });
  });

  it('takes an existing workspace by ARN and derives its remote-write URL', () => {
    const workspaceArn = 'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0123abcd-4567-89ef-0123-456789abcdef';
    const { stack, template } = buildStack({ prometheus: { workspaceArn } });
    template.resourceCountIs('AWS::APS::Workspace', 0);
    assert.equal(stack.router.prometheus!.remoteWriteUrl, 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd-4567-89ef-0123-456789abcdef/api/v1/remote_write');
    const writes = statements(template).filter((s) => s.action.includes('aps:RemoteWrite'));
    assert.deepEqual(writes[0]!.resource, [workspaceArn]);
    const { props } = propsFromContext(new App({ context: { prometheusWorkspaceArn: workspaceArn } }).node);
    assert.deepEqual(props, { prometheus: { workspaceArn } });
    assert.throws(() => buildStack({ prometheus: { workspaceArn: 'arn:aws:s3:::bucket' } }), /prometheus.workspaceArn/);
  });
});

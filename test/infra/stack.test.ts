import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { registryTableDefinitions, registryTableNames } from '../../lib/adapters/registry/dynamodb/tables.js';
import { DEAD_LETTER_INDEX } from '../../lib/adapters/dead-letters/dynamodb/store.js';
import { ADMIN_KEY_SECRET_ARN_ENV as LAMBDA_ADMIN_KEY_ENV } from '../../lib/lambda/admin-key.js';
import {
  ADMIN_KEY_SECRET_ARN_ENV,
  ADMIN_PORT,
  DELIVERY_TIMEOUT,
  EVENTS_PORT,
  HEALTH_CHECK_PATH,
  MAX_RECEIVE_COUNT,
} from '../../lib/infra/index.js';
import { buildStack, only, statements } from './helpers.js';

const { stack, template } = buildStack();
const ref = (token: string) => stack.resolve(token) as unknown;
const tables = registryTableNames();

describe('Construct: RegistryTables', () => {
  it('creates the three tables of docs/architecture.md#on-aws with the keys the DynamoDB adapters create locally', () => {
    for (const definition of registryTableDefinitions()) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: definition.TableName,
        KeySchema: definition.KeySchema,
        AttributeDefinitions: Match.arrayWith(definition.AttributeDefinitions!.map((a) => Match.objectLike(a))),
      });
    }
    // …and the limits table (test/infra/limits.test.ts).
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
  });

  it('gives the registry table a Stream with new and old images and no other table a Stream', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: tables.registry, StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    for (const name of [tables.changes, tables.deadLetters]) {
      template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: name, StreamSpecification: Match.absent() });
    }
  });

  it('makes every table on-demand, with point-in-time recovery and a customer-managed KMS key', () => {
    const key = ref(stack.tables.encryptionKey.keyArn);
    for (const name of Object.values(tables)) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key },
      });
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('registry') });
  });

  it('expires change log entries through TTL on expiresAt, and nothing else', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: tables.changes,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    for (const name of [tables.registry, tables.deadLetters]) {
      template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: name, TimeToLiveSpecification: Match.absent() });
    }
  });

  it('gives the dead-letter table the index its list queries', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: tables.deadLetters,
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: DEAD_LETTER_INDEX, Projection: { ProjectionType: 'ALL' } })],
    });
  });

  it('keeps the tables when the stack is deleted', () => {
    const retained = template.findResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    assert.equal(Object.keys(retained).length, 3);
  });
});

describe('Construct: DeliveryQueue', () => {
  it(`redrives a message to the DLQ after ${MAX_RECEIVE_COUNT} receives`, () => {
    assert.equal(MAX_RECEIVE_COUNT, 5);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: ref(stack.queue.deadLetterQueue.queueArn), maxReceiveCount: 5 },
    });
  });

  it('encrypts the queue and its DLQ with a rotating customer-managed key', () => {
    const key = ref(stack.queue.encryptionKey.keyArn);
    const encrypted = template.findResources('AWS::SQS::Queue', { Properties: { KmsMasterKeyId: key } });
    assert.equal(Object.keys(encrypted).length, 2);
    // The third is the invalidation mapping's failure queue (SQS-managed encryption: it holds no config).
    template.resourceCountIs('AWS::SQS::Queue', 3);
  });

  it('refuses requests to either queue that do not use TLS', () => {
    for (const queue of [stack.queue.queue, stack.queue.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('hides a received message for six times the delivery Lambda timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.anyValue(),
      VisibilityTimeout: DELIVERY_TIMEOUT.toSeconds() * 6,
    });
  });
});

describe('Construct: Workers and ConfigApi (the Lambdas)', () => {
  it('runs every Lambda on Node.js 22 or newer', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    assert.equal(functions.length, 5);
    for (const fn of functions) {
      const runtime = String((fn.Properties as { Runtime: string }).Runtime);
      const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
      assert.ok(major >= 22, `${runtime} is older than nodejs22.x`);
    }
  });

  it('consumes the fan-out queue with the delivery Lambda, reporting batch item failures, 100 bundles per batch gathered for 1 s', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(stack.queue.queue.queueArn),
      FunctionName: ref(stack.workers.delivery.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
    });
    // Bundles of many items fill messages up to SQS's largest, in the queue and in its DLQ.
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { MaximumMessageSize: 1_048_576 }, 2);
  });

  it('consumes the DLQ with the DLQ drainer, reporting batch item failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(stack.queue.deadLetterQueue.queueArn),
      FunctionName: ref(stack.workers.dlqDrainer.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('feeds the registry Stream to the invalidation Lambda from its oldest record, in order', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref(stack.tables.registry.tableStreamArn!),
      FunctionName: ref(stack.workers.invalidation.functionName),
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
  });

  it('tells every Lambda where its tables and queue are through the CLI flag variables', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      assert.deepEqual(
        Match.objectLike({
          EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: 'event-gateway-',
          EVENT_GATEWAY_SQS_QUEUE_URL: ref(stack.queue.queue.queueUrl),
          EVENT_GATEWAY_METRICS_NAMESPACE: 'EventGateway',
        }).test((fn.Properties as { Environment: { Variables: unknown } }).Environment.Variables).isSuccess,
        true,
      );
    }
  });

  it('puts the config API behind an HTTP API with payload format 2.0, throttling and access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: ref(stack.configApi.function.functionArn),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: ref(stack.configApi.accessLogs.logGroupArn), Format: Match.stringLikeRegexp('requestId') },
    });
  });
});

describe('The admin key', () => {
  it('is generated into a Secrets Manager secret', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 43, ExcludePunctuation: true, IncludeSpace: false },
    });
  });

  it('reaches the config Lambda only as the ARN of its secret, in the variable the handler reads', () => {
    assert.equal(ADMIN_KEY_SECRET_ARN_ENV, LAMBDA_ADMIN_KEY_ENV);
    const config = only<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>(template, 'AWS::Lambda::Function', {
      Environment: { Variables: { [ADMIN_KEY_SECRET_ARN_ENV]: ref(stack.configApi.adminKey.secretArn) } },
    });
    assert.ok(config);
  });

  it('is never in a plain environment variable of a Lambda or the router container', () => {
    const text = JSON.stringify(template.toJSON());
    assert.doesNotMatch(text, /"EVENT_GATEWAY_ADMIN_KEY"/);
    assert.doesNotMatch(text, /resolve:secretsmanager/, 'no dynamic reference resolves the secret into the template');
    assert.doesNotMatch(text, /"Secrets"\s*:/, 'the container gets no secret either');
  });

  it('can be read by the config Lambda role alone', () => {
    const readers = statements(template).filter((s) => s.action.includes('secretsmanager:GetSecretValue'));
    assert.deepEqual(readers.map((s) => s.roles), [[ref(stack.configApi.function.role!.roleName)]]);
    assert.deepEqual(readers[0]!.resource, [ref(stack.configApi.adminKey.secretArn)]);
  });
});

describe('Construct: RouterService', () => {
  it('health-checks the admin port at /v1/status while traffic goes to the events port', () => {
    assert.deepEqual([ADMIN_PORT, EVENTS_PORT, HEALTH_CHECK_PATH], [4001, 4000, '/v1/status']);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 4000,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPort: '4001',
      HealthCheckPath: '/v1/status',
      Matcher: { HttpCode: '200' },
    });
  });

  it('drains a deregistered task for 30 seconds and stops it gracefully behind an init process', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ StopTimeout: 30, LinuxParameters: Match.objectLike({ InitProcessEnabled: true }) })],
    });
  });

  it("runs the Dockerfile's own command and gives the container the resources by EVENT_GATEWAY_* variables only", () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    assert.match(dockerfile, /^CMD \["--router-only", "--store", "dynamodb", "--queue", "sqs"\]$/m);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Command: Match.absent(),
          EntryPoint: Match.absent(),
          ReadonlyRootFilesystem: true,
          PortMappings: [Match.objectLike({ ContainerPort: 4000 }), Match.objectLike({ ContainerPort: 4001 })],
          Environment: [
            { Name: 'NODE_OPTIONS', Value: '--max-old-space-size=768' },
            { Name: 'EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX', Value: 'event-gateway-' },
            { Name: 'EVENT_GATEWAY_SQS_QUEUE_URL', Value: ref(stack.queue.queue.queueUrl) },
            { Name: 'EVENT_GATEWAY_LIMITS_TABLE', Value: ref(stack.limits.table.tableName) },
            { Name: 'EVENT_GATEWAY_LOG_LEVEL', Value: 'info' },
            { Name: 'EVENT_GATEWAY_METRICS_NAMESPACE', Value: 'EventGateway' },
            { Name: 'AWS_REGION', Value: { Ref: 'AWS::Region' } },
          ],
        }),
      ],
    });
  });

  it('builds the image from a multi-stage Dockerfile on a Node LTS, running as a non-root user', () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const image of stages) {
      const version = Number(/^node:(\d+)-/.exec(image ?? '')?.[1]);
      assert.ok(version >= 22 && version % 2 === 0, `${image}: Node ${version} is an LTS line`);
      assert.match(image ?? '', /@sha256:[0-9a-f]{64}$/, `${image} is pinned by digest`);
    }
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^USER node$/m);
  });

  it('scales the service on CPU and on requests per task', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        TargetValue: 30000,
      }),
    });
  });

  it('keeps the tasks in private subnets with no public address', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
  });

  it('serves the events API over HTTP on port 80 when no certificate is given', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
  });

  it('writes the load balancer access logs to an encrypted, TLS-only bucket', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: ref(stack.router.accessLogs.bucket.bucketName) },
      ]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Principal: Match.objectLike({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }) }),
        ]),
      },
    });
  });
});

describe('IAM', () => {
  it('gives the router read access to the registry and change log and send access to the queue, and no writes but the limiter\'s', () => {
    const role = ref(stack.router.taskDefinition.taskRole.roleName);
    const mine = statements(template).filter((s) => JSON.stringify(s.roles) === JSON.stringify([role]));
    const actions = mine.flatMap((s) => s.action).sort();
    // The limits table's GetItem and UpdateItem, and the key calls of a write (test/infra/limits.test.ts).
    assert.deepEqual(actions, [
      'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:Scan',
      'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey',
      'sqs:GetQueueAttributes', 'sqs:SendMessage',
    ]);
    const updates = mine.filter((s) => s.action.includes('dynamodb:UpdateItem'));
    assert.deepEqual(updates.map((s) => s.resource), [[ref(stack.limits.table.tableArn)]]);
  });

  it('grants no call to a function target when no target ARN is allowed', () => {
    const actions = statements(template).flatMap((s) => s.action);
    for (const action of ['lambda:InvokeFunction', 'kinesis:PutRecord', 'firehose:PutRecord']) assert.ok(!actions.includes(action), action);
    const sends = statements(template).filter((s) => s.action.includes('sqs:SendMessage'));
    const ownQueues = [stack.queue.queue.queueArn, stack.workers.invalidationFailures.queueArn].map((arn) => JSON.stringify([ref(arn)]));
    for (const send of sends) assert.ok(ownQueues.includes(JSON.stringify(send.resource)), JSON.stringify(send.resource));
  });

  it('uses no resource wildcard except where AWS APIs support no resource (mapping creation held to the connector by a condition)', () => {
    const wildcards = statements(template).filter((s) => s.resource.includes('*'));
    assert.deepEqual(wildcards.flatMap((s) => s.action).sort(), [
      // The invalidation Lambda's Stream mapping and the connector's stream mappings.
      'dynamodb:ListStreams',
      'dynamodb:ListStreams',
      'ecr:GetAuthorizationToken',
      'kinesis:ListStreams',
      // The config API: creation acts on no existing resource (lambda:FunctionArn limits it), listing has no resource.
      'lambda:CreateEventSourceMapping',
      'lambda:ListEventSourceMappings',
    ]);
  });
});

describe('Construct: Observability', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => JSON.stringify(a.Properties));
  const alarmOn = (pattern: RegExp) => alarms.filter((a) => pattern.test(a));

  it('alarms on new dead letters from the worker and from the DLQ drainer', () => {
    const [alarm] = alarmOn(/DeadLettered/);
    assert.ok(alarm);
    assert.match(alarm, /"Namespace":"EventGateway"/);
    assert.match(alarm, /DeadLettersMoved/);
    assert.match(alarm, /"Value":"dlq-drainer"/);
  });

  it('alarms on the 5xx rate of the events API and of the config API', () => {
    assert.equal(alarmOn(/HTTPCode_Target_5XX_Count/).length, 1);
    assert.match(alarmOn(/HTTPCode_Target_5XX_Count/)[0]!, /HTTPCode_ELB_5XX_Count/);
    assert.equal(alarmOn(/"MetricName":"5xx"/).length, 1);
  });

  it('alarms on the p99 latency of the events API', () => {
    const [alarm] = alarmOn(/TargetResponseTime/);
    assert.match(alarm!, /"Stat":"p99"/);
    assert.match(alarm!, /"Threshold":1[,}]/);
  });

  it('alarms on router CPU and on delivery errors', () => {
    assert.match(alarmOn(/CPUUtilization/)[0]!, /"Namespace":"AWS\/ECS"/);
    const [delivery] = alarmOn(/"MetricName":"Failed"/);
    assert.match(delivery!, /"MetricName":"Errors"/);
    assert.match(delivery!, /"Value":"delivery"/);
  });

  it('never alarms on missing data, and draws every alarm on one dashboard', () => {
    assert.equal(alarms.length, 14);
    for (const alarm of alarms) assert.match(alarm, /"TreatMissingData":"notBreaching"/);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('Outputs', () => {
  it('gives the events URL, the config URL and the admin key secret ARN', () => {
    template.hasOutput('EventsUrl', { Value: { 'Fn::Join': ['', ['http://', ref(stack.router.loadBalancer.loadBalancerDnsName)]] } });
    template.hasOutput('ConfigUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    template.hasOutput('AdminKeySecretArn', { Value: ref(stack.configApi.adminKey.secretArn) });
  });
});

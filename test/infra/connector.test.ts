import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { CONNECTOR_METRICS, MAPPING_SETTINGS } from '../../lib/connectors/aws/index.js';
import { CONNECTOR_TIMEOUT, EventGatewayPropsError, connectorSourceProblems, propsFromContext, resolveEventGatewayProps, validateEventGatewayProps } from '../../lib/infra/index.js';
import { buildStack, statements } from './helpers.js';

const built = buildStack();
const { stack, template } = built;
const ref = (token: string) => stack.resolve(token) as unknown;
const connectorRole = () => ref(stack.connector.function.role!.roleName);
const configRole = () => ref(stack.configApi.function.role!.roleName);
/** `arn:${Partition}:<service>:${Region}:${AccountId}:<rest>` as the template writes it. */
const accountArn = (service: string, rest: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${rest}`]],
});

/** Every action granted to `role`, with its resources and conditions. */
function grants(template: typeof built.template, role: unknown): Array<{ action: string; resource: unknown[]; condition: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const props = policy['Properties'] as { Roles?: unknown[]; PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string }> } };
    if (!(props.Roles ?? []).some((r) => JSON.stringify(r) === JSON.stringify(role))) return [];
    return props.PolicyDocument.Statement.flatMap((s) => {
      assert.equal(s.Effect, 'Allow');
      return ([] as string[]).concat(s.Action).map((action) => ({ action, resource: ([] as unknown[]).concat(s.Resource), condition: s.Condition }));
    });
  });
}

describe('Construct: Connector (connections on AWS)', () => {
  it('adds the connector Lambda, bundled like the others, with the settings of the others and the events URL', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Event gateway connector'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: CONNECTOR_TIMEOUT.toSeconds(),
      Environment: {
        Variables: Match.objectLike({
          EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: 'event-gateway-',
          EVENT_GATEWAY_SQS_QUEUE_URL: ref(stack.queue.queue.queueUrl),
          EVENT_GATEWAY_EVENTS_URL: ref(stack.router.eventsUrl),
        }),
      },
    });
    // 30 s: SQS refuses a mapping whose function runs longer than the queue hides a message (30 s by default).
    assert.equal(CONNECTOR_TIMEOUT.toSeconds(), 30);
  });

  it('tells the config API which function to map connections to, and the connector nothing of the admin key', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Event gateway config API',
      Environment: { Variables: Match.objectLike({ EVENT_GATEWAY_CONNECTOR_FUNCTION_ARN: ref(stack.connector.function.functionArn) }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Event gateway connector'),
      Environment: { Variables: Match.objectLike({ EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN: Match.absent(), EVENT_GATEWAY_CONNECTOR_FUNCTION_ARN: Match.absent() }) },
    });
  });

  it('makes no mapping in the template: connections come and go at runtime, and the config API makes theirs', () => {
    // The three of the workers only: delivery, DLQ drainer, invalidation.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    assert.ok(!JSON.stringify(template.findResources('AWS::Lambda::EventSourceMapping')).includes(JSON.stringify(ref(stack.connector.function.functionName))));
  });

  it('lets the config API create, update and delete mappings to the connector function alone, and list mappings; nothing else of Lambda', () => {
    const lambda = grants(template, configRole()).filter((g) => g.action.startsWith('lambda:'));
    const onlyConnector = { StringEquals: { 'lambda:FunctionArn': ref(stack.connector.function.functionArn) } };
    assert.deepEqual(
      lambda.sort((a, b) => a.action.localeCompare(b.action)),
      [
        { action: 'lambda:CreateEventSourceMapping', resource: ['*'], condition: onlyConnector },
        { action: 'lambda:DeleteEventSourceMapping', resource: [accountArn('lambda', 'event-source-mapping:*')], condition: onlyConnector },
        { action: 'lambda:ListEventSourceMappings', resource: ['*'], condition: undefined },
        { action: 'lambda:UpdateEventSourceMapping', resource: [accountArn('lambda', 'event-source-mapping:*')], condition: onlyConnector },
      ],
    );
    // A mapping runs with the function's own role: nobody is given iam:PassRole.
    assert.deepEqual(statements(template).filter((s) => s.action.some((a) => a.startsWith('iam:'))), []);
    // No other role may touch mappings.
    const others = statements(template).filter((s) => s.action.some((a) => /EventSourceMapping/.test(a)));
    assert.ok(others.every((s) => JSON.stringify(s.roles) === JSON.stringify([configRole()])));
  });

  it("by default lets the connector read this account's Kinesis streams, DynamoDB streams and SQS queues in the region, and no Amazon MQ", () => {
    const read = grants(template, connectorRole());
    const on = (action: string) => read.filter((g) => g.action === action).map((g) => g.resource);
    for (const action of ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards']) {
      assert.deepEqual(on(action), [[accountArn('kinesis', 'stream/*')]], action);
    }
    for (const action of ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream']) {
      assert.deepEqual(on(action), [[accountArn('dynamodb', 'table/*/stream/*')]], action);
    }
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) assert.deepEqual(on(action), [[accountArn('sqs', '*')]], action);
    // ListStreams supports no resource-level permissions.
    assert.deepEqual(on('kinesis:ListStreams'), [['*']]);
    assert.deepEqual(on('dynamodb:ListStreams'), [['*']]);
    assert.deepEqual(read.filter((g) => /^(mq|ec2|secretsmanager):/.test(g.action)), []);
  });

  it('lets the connector read the registry, write its dead letters and send to the fan-out queue; nothing that invokes targets', () => {
    const read = grants(template, connectorRole());
    const tableGrants = (table: string) => read.filter((g) => JSON.stringify(g.resource) === JSON.stringify([ref(table)])).map((g) => g.action).sort();
    assert.deepEqual(tableGrants(stack.tables.registry.tableArn), ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']);
    assert.deepEqual(tableGrants(stack.tables.changes.tableArn), ['dynamodb:GetItem', 'dynamodb:Query']);
    assert.deepEqual(tableGrants(stack.tables.deadLetters.tableArn), ['dynamodb:PutItem']);
    assert.deepEqual(tableGrants(stack.queue.queue.queueArn), ['sqs:GetQueueAttributes', 'sqs:SendMessage']);
    assert.deepEqual(read.filter((g) => /^(lambda|firehose):|^kinesis:PutRecord|^dynamodb:(PutItem|DeleteItem|UpdateItem)$/.test(g.action) && JSON.stringify(g.resource) !== JSON.stringify([ref(stack.tables.deadLetters.tableArn)])), []);
  });

  it('reads only the listed sources with connectorSourceArns; a broker brings its secret, the network calls of its mapping and nothing else', () => {
    const queue = 'arn:aws:sqs:eu-west-1:123456789012:orders';
    const broker = 'arn:aws:mq:eu-west-1:123456789012:broker:pizza:b-9bcfa592-423a-4942-879d-eb284b418fc8';
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pizza-*';
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const custom = buildStack({ connectorSourceArns: [queue, broker, secret, key] });
    const read = grants(custom.template, custom.stack.resolve(custom.stack.connector.function.role!.roleName));
    const sources = read.filter((g) => /^(kinesis|sqs:(Receive|Delete)|mq|secretsmanager|ec2|kms:Decrypt$)/.test(g.action) || g.action === 'dynamodb:GetRecords');
    const by = (prefix: string) => sources.filter((g) => g.action.startsWith(prefix));
    assert.deepEqual(by('sqs:').map((g) => g.resource), [[queue], [queue]]);
    assert.deepEqual(by('mq:'), [{ action: 'mq:DescribeBroker', resource: [broker], condition: undefined }]);
    assert.deepEqual(by('secretsmanager:'), [{ action: 'secretsmanager:GetSecretValue', resource: [secret], condition: undefined }]);
    assert.deepEqual(by('ec2:').map((g) => g.action).sort(), [
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
    ]);
    assert.ok(by('kms:').some((g) => JSON.stringify(g.resource) === JSON.stringify([key])));
    assert.deepEqual(by('kinesis:'), [], 'no stream listed, no stream read');
    assert.deepEqual(sources.filter((g) => g.action === 'dynamodb:GetRecords'), []);

    const none = buildStack({ connectorSourceArns: [] });
    const reads = grants(none.template, none.stack.resolve(none.stack.connector.function.role!.roleName)).filter((g) => /^(kinesis|mq|ec2):|^sqs:Receive/.test(g.action));
    assert.deepEqual(reads, []);
  });

  it('refuses at synthesis a source ARN it cannot grant, and a broker without its secret, naming the prop', () => {
    assert.deepEqual(connectorSourceProblems(['arn:aws:kinesis:eu-west-1:123456789012:stream/clicks', 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/*']), []);
    const problems = validateEventGatewayProps(
      resolveEventGatewayProps({ connectorSourceArns: ['arn:aws:s3:::bucket', 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', 'arn:aws:mq:eu-west-1:123456789012:broker:pizza:b-1'], allowHttp: true }),
    );
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0]!, /^connectorSourceArns: "arn:aws:s3:::bucket" is not the ARN of a Kinesis stream/);
    assert.match(problems[1]!, /table\/orders" is not the ARN/);
    assert.match(problems[2]!, /lists an Amazon MQ broker but no Secrets Manager secret/);
    assert.throws(() => buildStack({ connectorSourceArns: ['arn:aws:s3:::bucket'] }), EventGatewayPropsError);
  });

  it('takes connectorSourceArns from the context as a comma-separated list', () => {
    const context: Record<string, string> = { connectorSourceArns: 'arn:aws:sqs:eu-west-1:123456789012:a, arn:aws:sqs:eu-west-1:123456789012:b' };
    const { props } = propsFromContext({ tryGetContext: (key: string) => context[key] });
    assert.deepEqual(props.connectorSourceArns, ['arn:aws:sqs:eu-west-1:123456789012:a', 'arn:aws:sqs:eu-west-1:123456789012:b']);
  });

  it("shows the connector's EMF metrics, under its own Service dimension, and its Lambda errors on the dashboard", () => {
    const dashboard = JSON.stringify(stack.resolve(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0])).replace(/\\/g, '');
    for (const name of Object.values(CONNECTOR_METRICS)) {
      assert.match(dashboard, new RegExp(`"${name}","Service","connector"`), name);
    }
    assert.match(dashboard, /Connections: connector Lambda/);
  });

  it('the mappings the config API makes report batch item failures, and bisect and retry streams until they succeed', () => {
    for (const kind of ['kinesis', 'dynamodb'] as const) {
      assert.deepEqual(MAPPING_SETTINGS[kind].FunctionResponseTypes, ['ReportBatchItemFailures']);
      assert.equal(MAPPING_SETTINGS[kind].BisectBatchOnFunctionError, true);
      assert.equal(MAPPING_SETTINGS[kind].MaximumRetryAttempts, -1);
    }
    assert.deepEqual(MAPPING_SETTINGS.sqs.FunctionResponseTypes, ['ReportBatchItemFailures']);
    // Amazon MQ takes neither: a failed batch fails the invocation and comes back whole.
    assert.equal(MAPPING_SETTINGS.rmq.FunctionResponseTypes, undefined);
  });
});

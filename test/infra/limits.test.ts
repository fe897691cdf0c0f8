import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { limitsTableName } from '../../lib/adapters/limiter/dynamodb/index.js';
import { FUNCTION_URL_ACTION, LIMITER_TABLE_ACTIONS } from '../../lib/infra/index.js';
import { DEFAULT_TABLE_PREFIX, SETTINGS } from '../../lib/settings/index.js';
import { TARGETS, buildStack, statements } from './helpers.js';

describe('Construct: DeliveryLimits (the limits table)', () => {
  const { stack, template } = buildStack();
  const ref = (token: string) => stack.resolve(token) as unknown;
  const tableArn = JSON.stringify(ref(stack.limits.table.tableArn));

  it('is on-demand, keyed pk, encrypted with the registry key, with TTL on expiresAt, and not retained', () => {
    const tables = template.findResources('AWS::DynamoDB::Table', { Properties: { TableName: limitsTableName(DEFAULT_TABLE_PREFIX) } });
    assert.equal(Object.keys(tables).length, 1);
    const [table] = Object.values(tables);
    assert.equal(table!.DeletionPolicy, 'Delete');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: limitsTableName(DEFAULT_TABLE_PREFIX),
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: ref(stack.tables.encryptionKey.keyArn) },
      StreamSpecification: Match.absent(),
    });
  });

  it('is reached by the router task and the delivery Lambda alone, with GetItem and UpdateItem only', () => {
    const onTable = statements(template).filter((s) => s.resource.some((r) => JSON.stringify(r) === tableArn));
    const roles = onTable.flatMap((s) => s.roles.map((r) => JSON.stringify(r))).sort();
    const expected = [stack.router.taskDefinition.taskRole.roleName, stack.workers.delivery.role!.roleName].map((r) => JSON.stringify(ref(r))).sort();
    assert.deepEqual(roles, expected);
    for (const statement of onTable) {
      assert.deepEqual([...statement.action].sort(), [...LIMITER_TABLE_ACTIONS].sort());
      assert.deepEqual(statement.resource.map((r) => JSON.stringify(r)), [tableArn], 'no other resource in the same statement');
    }
  });

  it('is named to the router container and the delivery Lambda by the --limits-table variable', () => {
    const variable = SETTINGS.limitsTable.env;
    const tableName = ref(stack.limits.table.tableName);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('delivery worker'),
      Environment: { Variables: Match.objectLike({ [variable]: tableName }) },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Environment: Match.arrayWith([{ Name: variable, Value: tableName }]) })]),
    });
  });
});

describe('lambda:InvokeFunctionUrl (awsSigV4 auth to Lambda function URLs)', () => {
  it('is granted on the allowed Lambda ARNs only, for URLs with IAM auth, to the router and the delivery Lambda', () => {
    const { stack, template } = buildStack({ allowedTargetArns: Object.values(TARGETS) });
    const ref = (token: string) => stack.resolve(token) as unknown;
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const grants = policies.flatMap((policy) => {
      const props = policy.Properties as { Roles?: unknown[]; PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown; Condition?: unknown }> } };
      return props.PolicyDocument.Statement.filter((s) => ([] as unknown[]).concat(s.Action).includes(FUNCTION_URL_ACTION)).map((s) => ({ ...s, roles: props.Roles ?? [] }));
    });
    assert.equal(grants.length, 1);
    const [grant] = grants;
    assert.deepEqual(grant!.Action, FUNCTION_URL_ACTION);
    assert.deepEqual(grant!.Resource, TARGETS.lambda);
    assert.deepEqual(grant!.Condition, { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
    const roles = grant!.roles.map((r) => JSON.stringify(r)).sort();
    const expected = [stack.router.taskDefinition.taskRole.roleName, stack.workers.delivery.role!.roleName].map((r) => JSON.stringify(ref(r))).sort();
    assert.deepEqual(roles, expected);
  });

  it('is not granted when no Lambda ARN is allowed', () => {
    for (const allowedTargetArns of [[], [TARGETS.sqs, TARGETS.kinesis]]) {
      const { template } = buildStack({ allowedTargetArns });
      assert.ok(!statements(template).some((s) => s.action.includes(FUNCTION_URL_ACTION)), JSON.stringify(allowedTargetArns));
    }
  });
});

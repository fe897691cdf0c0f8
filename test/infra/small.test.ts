// The small profile (`-c profile=small`): one router task in a public subnet with a public IP, no NAT gateway, as
// the synthesized template shows it; and the default profile left as it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { EventGatewayPropsError, EventGatewayStack, propsFromContext } from '../../lib/infra/index.js';
import { EXISTING_VPC, buildStack, only } from './helpers.js';

interface ServiceProps {
  DesiredCount: number;
  NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: string; Subnets: unknown[]; SecurityGroups: unknown[] } };
}

const service = (template: Template) => only<{ Properties: ServiceProps }>(template, 'AWS::ECS::Service').Properties;
const scaling = (template: Template) =>
  only<{ Properties: { MinCapacity: number; MaxCapacity: number } }>(template, 'AWS::ApplicationAutoScaling::ScalableTarget').Properties;
const subnetIds = (template: Template, publicIp: boolean) =>
  Object.entries(template.findResources('AWS::EC2::Subnet'))
    .filter(([, subnet]) => (subnet['Properties'] as { Tags: Array<{ Key: string; Value: string }> }).Tags.some(
      (tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === (publicIp ? 'Public' : 'Private'),
    ))
    .map(([id]) => ({ Ref: id }));

describe('The small profile', () => {
  const { stack, template } = buildStack({ profile: 'small' });

  it('is read from context, and an unknown profile is refused naming the choices', () => {
    const { props } = propsFromContext(new App({ context: { profile: 'small', allowHttp: 'true' } }).node);
    assert.deepEqual(props, { profile: 'small', allowHttp: true });
    assert.throws(
      () => propsFromContext(new App({ context: { profile: 'tiny' } }).node),
      (error: unknown) => error instanceof EventGatewayPropsError && /context profile must be one of default, small, not "tiny"/.test(error.message),
    );
  });

  it('has no NAT gateway, no Elastic IP and no private subnet', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    assert.equal(subnetIds(template, false).length, 0);
    assert.equal(subnetIds(template, true).length, 2, 'two public subnets, for the load balancer and the task');
  });

  it('runs one task (autoscaling up to two) in the public subnets with a public IP', () => {
    const props = service(template);
    assert.equal(props.DesiredCount, 1);
    assert.deepEqual(scaling(template), { ...scaling(template), MinCapacity: 1, MaxCapacity: 2 });
    assert.equal(props.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'ENABLED');
    assert.deepEqual(
      [...props.NetworkConfiguration.AwsvpcConfiguration.Subnets].map((s) => JSON.stringify(s)).sort(),
      subnetIds(template, true).map((s) => JSON.stringify(s)).sort(),
    );
  });

  it('routes the task subnets to the internet gateway, so AWS APIs and http targets are reachable without NAT', () => {
    const routes = Object.values(template.findResources('AWS::EC2::Route')).map((r) => r['Properties'] as Record<string, unknown>);
    assert.equal(routes.length, 2);
    for (const route of routes) {
      assert.equal(route['DestinationCidrBlock'], '0.0.0.0/0');
      assert.ok(route['GatewayId'], 'the default route goes to the internet gateway');
      assert.equal(route['NatGatewayId'], undefined);
    }
  });

  it('keeps the free DynamoDB gateway endpoint on the task subnets and adds no interface endpoint', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    const gateway = only<{ Properties: { ServiceName: unknown; RouteTableIds: unknown[] } }>(template, 'AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    assert.match(JSON.stringify(gateway.Properties.ServiceName), /\.dynamodb"/);
    assert.equal(gateway.Properties.RouteTableIds.length, 2);
  });

  it('lets nothing but the load balancer reach the task, public IP or not', () => {
    const taskGroup = stack.resolve(stack.router.service.connections.securityGroups[0]!.securityGroupId) as unknown;
    const loadBalancerGroup = stack.resolve(stack.router.loadBalancer.connections.securityGroups[0]!.securityGroupId) as unknown;
    const group = only<{ Properties: { SecurityGroupIngress?: unknown[] } }>(template, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('router tasks'),
    });
    assert.equal(group.Properties.SecurityGroupIngress, undefined, 'no inline ingress (no 0.0.0.0/0)');
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r['Properties'] as Record<string, unknown>)
      .filter((r) => JSON.stringify(r['GroupId']) === JSON.stringify(taskGroup));
    assert.equal(ingress.length, 2, 'events and health checks');
    for (const rule of ingress) {
      assert.deepEqual(rule['SourceSecurityGroupId'], loadBalancerGroup);
      assert.equal(rule['CidrIp'], undefined);
    }
  });

  it('keeps the Lambdas out of the VPC (they reach AWS and targets directly, as in the default profile)', () => {
    const inVpc = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => (f['Properties'] as Record<string, unknown>)['VpcConfig']);
    assert.equal(inVpc.length, 0);
  });

  it('takes explicit task counts and an SQS endpoint, which then sits in the public subnets open to the task only', () => {
    const { stack: tuned, template: tunedTemplate } = buildStack({ profile: 'small', router: { minTasks: 1, maxTasks: 4 }, sqsEndpoint: true });
    assert.equal(scaling(tunedTemplate).MaxCapacity, 4);
    const endpoint = only<{ Properties: { ServiceName: unknown; SubnetIds: unknown[] } }>(tunedTemplate, 'AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' });
    assert.match(JSON.stringify(endpoint.Properties.ServiceName), /\.sqs"/);
    assert.deepEqual(
      [...endpoint.Properties.SubnetIds].map((s) => JSON.stringify(s)).sort(),
      subnetIds(tunedTemplate, true).map((s) => JSON.stringify(s)).sort(),
    );
    tunedTemplate.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: tuned.resolve(tuned.network.sqsEndpoint!.connections.securityGroups[0]!.securityGroupId),
      FromPort: 443,
      SourceSecurityGroupId: tuned.resolve(tuned.router.service.connections.securityGroups[0]!.securityGroupId),
    });
  });

  it('is refused with production, with an existing VPC and with NAT gateways, each naming the way out', () => {
    const refused = (props: ConstructorParameters<typeof EventGatewayStack>[2], pattern: RegExp) =>
      assert.throws(
        () => new EventGatewayStack(new App(), 'Small', { allowHttp: true, profile: 'small', ...props }),
        (error: unknown) => error instanceof EventGatewayPropsError && pattern.test(error.message),
      );
    refused({ production: true }, /profile small cannot be combined with production.*drop -c profile=small/);
    refused({ existingVpc: EXISTING_VPC }, /profile small builds its own VPC .* cannot use an existing VPC/);
    refused({ natGateways: 1 }, /natGateways must be 0 with profile small/);
    assert.throws(() => new EventGatewayStack(new App(), 'Bad', { allowHttp: true, profile: 'huge' as never }), /profile must be one of default, small, not "huge"/);
  });
});

interface CostModel {
  ASSUMPTIONS: Record<string, { value: unknown }>;
  PROFILES: Record<string, Record<string, unknown>>;
}

/** What the template bills by the hour, in the terms of scripts/cost-model.mjs. */
function billedByTheHour(template: Template) {
  const task = only<{ Properties: { Cpu: string; Memory: string } }>(template, 'AWS::ECS::TaskDefinition').Properties;
  const alb = only<{ Properties: { Subnets: unknown[]; Scheme: string } }>(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties;
  const nat = Object.keys(template.findResources('AWS::EC2::NatGateway')).length;
  const interfaceEndpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
  const { MinCapacity, MaxCapacity } = scaling(template);
  const taskIps = service(template).NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp === 'ENABLED' ? MinCapacity : 0;
  return {
    minTasks: MinCapacity,
    maxTasks: MaxCapacity,
    taskVcpu: Number(task.Cpu) / 1024,
    taskGb: Number(task.Memory) / 1024,
    natGateways: nat,
    sqsEndpointZones: interfaceEndpoints.reduce((zones, e) => zones + ((e['Properties'] as { SubnetIds: unknown[] }).SubnetIds.length), 0),
    publicIpv4: (alb.Scheme === 'internet-facing' ? alb.Subnets.length : 0) + taskIps + nat,
  };
}

describe('The cost model prices what the templates hold', () => {
  for (const profile of ['default', 'small'] as const) {
    it(`profile ${profile}: tasks, task size, NAT gateways, interface endpoint zones and public IPv4 addresses`, async () => {
      const script = pathToFileURL(fileURLToPath(new URL('../../scripts/cost-model.mjs', import.meta.url))).href;
      const { ASSUMPTIONS, PROFILES } = (await import(script)) as CostModel;
      const billed = billedByTheHour(buildStack({ profile }).template);
      const modelled = Object.fromEntries(Object.keys(billed).map((key) => [key, key in PROFILES[profile]! ? PROFILES[profile]![key] : ASSUMPTIONS[key]!.value]));
      assert.deepEqual(modelled, billed);
    });
  }
});

describe('The default profile is unchanged', () => {
  const { template } = buildStack();

  it('keeps its NAT gateway, private task subnets without public IPs, two to ten tasks and the SQS endpoint', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const props = service(template);
    assert.equal(props.DesiredCount, 2);
    assert.deepEqual([scaling(template).MinCapacity, scaling(template).MaxCapacity], [2, 10]);
    assert.equal(props.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    assert.deepEqual(
      [...props.NetworkConfiguration.AwsvpcConfiguration.Subnets].map((s) => JSON.stringify(s)).sort(),
      subnetIds(template, false).map((s) => JSON.stringify(s)).sort(),
    );
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' });
  });

  it('is the same template when profile default is given explicitly', () => {
    assert.deepEqual(buildStack({ profile: 'default' }).template.toJSON(), template.toJSON());
  });

  it('keeps two NAT gateways with production', () => {
    buildStack({ production: true }).template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });
});

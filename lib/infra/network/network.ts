import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  type InterfaceVpcEndpoint,
  IpAddresses,
  SubnetType,
  Vpc,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ExistingVpcProps } from '../props.js';

export interface GatewayNetworkProps {
  /** Use this VPC (by ids; never looked up). @default a new VPC */
  readonly existingVpc?: ExistingVpcProps;
  /** NAT gateways of a new VPC (ignored with `publicTasks`). @default 1 */
  readonly natGateways?: number;
  /**
   * The small profile: a new VPC of public subnets only, no NAT gateway; the tasks run in the public subnets with a
   * public IPv4 address and reach AWS and `http` targets through the internet gateway. @default false
   */
  readonly publicTasks?: boolean;
  /** An SQS interface endpoint in the new VPC's task subnets, so queue traffic skips the NAT. @default true */
  readonly sqsEndpoint?: boolean;
  /** Days the new VPC's flow logs are kept. @default 30 */
  readonly flowLogRetentionDays?: number;
  /** Delete the flow log group with the stack. @default false */
  readonly destroyLogs?: boolean;
}

/**
 * Where the router runs: a new VPC (two zones; public subnets for the load balancer, private subnets with NAT for
 * the tasks; flow logs of rejected traffic; a free gateway endpoint so DynamoDB traffic skips the NAT, and an SQS
 * interface endpoint so the router's sends do too: at high rates they would be the NAT's main bill), or an
 * existing VPC imported from its ids with `Vpc.fromVpcAttributes`, so synthesis needs no AWS account. With
 * `publicTasks` (the small profile) the new VPC has public subnets only and no NAT gateway: the tasks sit there with
 * public IPs, their security group open to the load balancer alone.
 */
export class GatewayNetwork extends Construct {
  readonly vpc: IVpc;
  /** Subnets of the load balancer. */
  readonly publicSubnets: SubnetSelection;
  /** Subnets of the router tasks: the private ones, or the public ones with `publicTasks`. */
  readonly taskSubnets: SubnetSelection;
  /** Whether the tasks need a public IPv4 address to reach AWS and the internet (`publicTasks`). */
  readonly taskPublicIp: boolean;
  /** The SQS interface endpoint of a new VPC; whoever sends to SQS is let in with `connections.allowDefaultPortFrom`. */
  readonly sqsEndpoint: InterfaceVpcEndpoint | undefined;

  constructor(scope: Construct, id: string, props: GatewayNetworkProps = {}) {
    super(scope, id);
    const existing = props.existingVpc;
    if (existing) {
      this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: existing.vpcId,
        availabilityZones: [...existing.availabilityZones],
        publicSubnetIds: [...existing.publicSubnetIds],
        privateSubnetIds: [...existing.privateSubnetIds],
      });
      this.publicSubnets = { subnetType: SubnetType.PUBLIC };
      this.taskSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
      this.taskPublicIp = false;
      this.sqsEndpoint = undefined;
      return;
    }
    const publicTasks = props.publicTasks ?? false;
    const taskSubnetType = publicTasks ? SubnetType.PUBLIC : SubnetType.PRIVATE_WITH_EGRESS;
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: publicTasks ? 0 : (props.natGateways ?? 1),
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        ...(publicTasks ? [] : [{ name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 }]),
      ],
      gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetentionDays ?? 30,
      removalPolicy: props.destroyLogs ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    if (props.sqsEndpoint ?? true) {
      // Private DNS: the SDK's regional SQS hostname resolves to the endpoint inside the VPC, no client setting needed.
      // Closed (open: false): only the router tasks are let in, by the stack.
      this.sqsEndpoint = vpc.addInterfaceEndpoint('Sqs', {
        service: InterfaceVpcEndpointAwsService.SQS,
        subnets: { subnetType: taskSubnetType },
        privateDnsEnabled: true,
        open: false,
      });
    } else {
      this.sqsEndpoint = undefined;
    }
    vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.REJECT });
    this.vpc = vpc;
    this.publicSubnets = { subnetType: SubnetType.PUBLIC };
    this.taskSubnets = { subnetType: taskSubnetType };
    this.taskPublicIp = publicTasks;
  }
}

import { Aws, CfnCondition, CfnMapping, Duration, Fn, RemovalPolicy, type ICfnConditionExpression } from 'aws-cdk-lib';
import { ArnPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.js';

export interface AccessLogsBucketProps {
  /** Days before log objects expire. @default 90 */
  readonly expirationDays?: number;
  /** Keep the bucket when the stack is deleted. @default true */
  readonly retain?: boolean;
}

/**
 * The S3 bucket of the load balancer's access logs, writable by Elastic Load Balancing in every region without
 * knowing the region at synthesis: regions launched before August 2022 deliver as a regional ELB account (picked
 * from a mapping, under a condition), later regions as the `logdelivery.elasticloadbalancing.amazonaws.com` service.
 * ALB logs only support S3-managed encryption, so the bucket uses that, blocks public access and refuses plain HTTP.
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: Bucket;
  /** The prefix the load balancer writes under. */
  readonly prefix = 'events-alb';

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(props.expirationDays ?? 90) }],
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    acknowledgeFinding(
      this.bucket,
      'AwsSolutions-S1',
      'This bucket is itself the access-log sink of the load balancer; logging the sink would need yet another bucket.',
    );

    const legacy = Object.fromEntries(
      RegionInfo.regions.flatMap((region) => (region.elbv2Account ? [[region.name, { account: region.elbv2Account }]] : [])),
    );
    const mapping = new CfnMapping(this, 'ElbLogDeliveryAccounts', { mapping: legacy });
    const inLegacyRegion = new CfnCondition(this, 'InRegionWithElbAccount', { expression: anyRegionOf(Object.keys(legacy)) });
    const legacyAccountArn = Fn.conditionIf(
      inLegacyRegion.logicalId,
      Fn.join('', ['arn:', Aws.PARTITION, ':iam::', mapping.findInMap(Aws.REGION, 'account'), ':root']),
      Aws.NO_VALUE,
    ).toString();
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        principals: [new ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com'), new ArnPrincipal(legacyAccountArn)],
        resources: [this.bucket.arnForObjects(`${this.prefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`)],
      }),
    );
  }
}

/** A condition true in any of `regions`; `Fn::Or` takes 2 to 10 conditions, so longer lists are nested. */
function anyRegionOf(regions: readonly string[]): ICfnConditionExpression {
  const equals = regions.map((region) => Fn.conditionEquals(Aws.REGION, region));
  const or = (items: ICfnConditionExpression[]): ICfnConditionExpression => {
    if (items.length === 1) return items[0]!;
    if (items.length <= 10) return Fn.conditionOr(...items);
    const groups: ICfnConditionExpression[] = [];
    for (let start = 0; start < items.length; start += 10) groups.push(or(items.slice(start, start + 10)));
    return or(groups);
  };
  return or(equals);
}

import { CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on the single CloudFormation resource `construct` stands for (itself, or its
 * default child), with the reason; never on a stack or an app. the README ("cdk-nag suppressions") lists every one.
 */
export function acknowledgeFinding(construct: IConstruct, id: string, reason: string): void {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) throw new Error(`${construct.node.path} is not a single CloudFormation resource`);
  Validations.of(resource).acknowledge({ id, reason });
}

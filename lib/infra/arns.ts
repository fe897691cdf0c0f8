/** `arn:<partition>:<service>:<region>:<account>:<resource>`, where a `*` may stand for the region, account or parts of the resource. */
const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9*-]*):(\d{12}|\*):(.+)$/;

/** Which of `shapes`' services an ARN names with a resource of that service's shape; undefined when none. */
export function serviceOfArn<S extends string>(arn: string, shapes: Readonly<Record<S, RegExp>>): S | undefined {
  const match = ARN.exec(arn);
  const service = match?.[2];
  if (!match || service === undefined || !Object.hasOwn(shapes, service)) return undefined;
  return shapes[service as S].test(match[5]!) ? (service as S) : undefined;
}

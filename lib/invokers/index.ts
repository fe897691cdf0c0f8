export {
  HttpInvoker,
  STRICT_TARGET_POLICY,
  httpResultError,
  isAddressAllowed,
  parseCidrList,
  targetPolicyFromFlags,
  type HttpInvokerOptions,
  type TargetPolicy,
} from './http/index.js';
export { FirehoseInvoker, KinesisInvoker, LambdaInvoker, SqsInvoker } from './aws/index.js';

export { nodeConfigListener, type NodeConfigListenerOptions } from './node.js';
export {
  MalformedLambdaEventError,
  configResponseToLambdaResult,
  errorConfigResponse,
  lambdaConfigHandler,
  lambdaEventFlavour,
  lambdaEventToConfigRequest,
  type AlbEvent,
  type AlbResult,
  type ApiGatewayV2Event,
  type ApiGatewayV2Result,
  type LambdaConfigHandlerOptions,
  type LambdaHttpEvent,
  type LambdaHttpResult,
} from './aws-lambda.js';

export { FUNCTION_RUNTIME, GatewayFunction, type GatewayFunctionProps, type GatewayHandler } from './gateway-function.js';

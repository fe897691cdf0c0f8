export { compileCors } from './compile.js';
export type { CompiledCors, CorsPolicy, OriginPattern } from './compile.js';
export { evaluateActual, evaluatePreflight, isOriginAllowed } from './evaluate.js';
export type { ActualRequest, HeaderEntry, PreflightRequest } from './evaluate.js';

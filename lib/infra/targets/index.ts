export { FUNCTION_URL_ACTION, TARGET_ACTIONS, TargetAccess, parseTargetArn, type TargetAccessProps, type TargetService } from './targets.js';

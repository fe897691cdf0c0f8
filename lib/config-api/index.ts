export { createConfigApi, goJson, metadataFilters, type ConfigApiOptions } from './api.js';
export { ConfigService, type MetadataFilters } from './service.js';
export { ConfigRouter, cleanPath, type RouteResolution } from './router.js';
export type { ConfigHandler, ConfigRequest, ConfigResponse } from './types.js';
export { DeadLetterService, toDeadLetterView, type DeadLetterView } from './dead-letters.js';
export { AccessControl, AccessKeyService, toAccessKeyView, type AccessControlOptions, type AccessKeyView, type AccessScope } from './access.js';
export { ConnectionsService } from './connections.js';

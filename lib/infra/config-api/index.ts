export { ADMIN_KEY_LENGTH, ADMIN_KEY_SECRET_ARN_ENV, ConfigApi, type ConfigApiProps } from './config-api.js';

export { DynamoAccessKeyStore, type DynamoAccessKeyStoreOptions } from './store.js';

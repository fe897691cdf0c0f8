export { CONNECTOR_TIMEOUT, Connector, MAPPING_ACTIONS, defaultSourceArns, type ConnectorProps } from './connector.js';
export {
  CONNECTOR_LIST_ACTIONS,
  CONNECTOR_MQ_NETWORK_ACTIONS,
  CONNECTOR_SOURCE_ACTIONS,
  connectorSourceProblems,
  parseConnectorSourceArn,
  type ConnectorSourceService,
} from './sources.js';

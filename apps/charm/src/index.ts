export type { RouterCharmOptions } from './charm.js'
export { createRouterCharm } from './charm.js'
export type { ActionOutcome, HistoryEntry } from './actions.js'
export { flattenResults } from './actions.js'
export type {
  CharmConfig,
  ConfigProblem,
  ConfigResult,
  LogLevel,
  RedeliveryConfig,
} from './config.js'
export { LOG_LEVELS, configProblemsMessage, parseCharmConfig, parseFlavours } from './config.js'
export type { ProxySettings } from './effects.js'
export { createRouterEffects } from './effects.js'
export type { IngressRequest } from './ingress.js'
export { databagChanges, ingressAppData, ingressUnitData, ingressUrl, unitFqdn } from './ingress.js'
export type {
  BrokerState,
  DatabaseState,
  IngressState,
  SecretStorageState,
} from './integrations.js'
export {
  WORKLOAD_CONTAINER,
  readBroker,
  readDatabase,
  readIngress,
  readSecretStorage,
} from './integrations.js'
export type { ActionContext, CharmModel, DatabagOwner } from './model.js'
export { SecretAccessError } from './model.js'
export type { MongodbConnection } from './mongodb.js'
export {
  MONGODB_REQUESTED_SECRETS,
  mongodbConnection,
  mongodbHosts,
  mongodbRequest,
  mongodbUserSecretLabel,
  redactMongodbUri,
} from './mongodb.js'
export type { JujuTopology } from './observability.js'
export {
  grafanaDashboardAppData,
  metricsEndpointAppData,
  metricsEndpointUnitData,
  shippedDashboard,
} from './observability.js'
export type { PublishMode } from './publish-mode.js'
export { DEFAULT_PUBLISH_MODE, PUBLISH_MODES, publishModeOf } from './publish-mode.js'
export type { RabbitmqConnection } from './rabbitmq.js'
export {
  RABBITMQ_ENDPOINT,
  rabbitmqConnection,
  rabbitmqRequest,
  redactRabbitmqUri,
} from './rabbitmq.js'
export type { PebbleWorkloadOptions } from './pebble-workload.js'
export { pebbleWorkload } from './pebble-workload.js'
export { SECRET_KEY_FIELD, generateSecretKey } from './secret-storage.js'
export type { WorkloadInputs, WorkloadLayer } from './workload-layer.js'
export {
  APP_METRICS_PORT,
  APP_PORT,
  READY_CHECK_NAME,
  SERVICE_NAME,
  STREAM_DEDUP_PATH,
  githubAuthEnvironment,
  workloadEnvironment,
  workloadLayer,
} from './workload-layer.js'
export { xzStore } from './xz.js'
export type { NetworkGet } from './juju-model.js'
export { networkGetOver } from './juju-model.js'
export { SENSITIVE_OPTIONS } from './sensitive-config.js'
export { shellQuote, shellToolRunner } from './shell-tool-runner.js'
export { cachingToolRunner } from './tool-cache.js'

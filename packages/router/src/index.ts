/**
 * @module @webhook-router/router
 * Verifies, routes, dedups and queues GitHub `workflow_job` webhooks.
 */

// Ports: the effects the router is given.
export { silentLogger, systemTimers } from './ports.js'
export type { Clock, LogFields, Logger, Timers } from './ports.js'
export { DEFAULT_DEDUP_RETENTION_MS, QueueUnavailableError } from './queue/port.js'
export type {
  JobQueue,
  PublishOutcome,
  PublishRequest,
  QueueCallOptions,
  QueuedJob,
  QueuedMessage,
  WebhookPublishRequest,
} from './queue/port.js'

// Configuration.
export { ConfigError } from './config/errors.js'
export { parseFlavours } from './config/flavours.js'
export type { FlavourConfig } from './config/flavours.js'
export {
  defineRouterConfig,
  parseLabelList,
  parseRouterConfig,
  routerConfigDefaults,
  routerEnvNames,
} from './config/router-config.js'
export type { RouterConfig, RouterConfigInput, WebhookSecrets } from './config/router-config.js'

// Routing.
export { lintRoutingConfig } from './routing/lint.js'
export type { RoutingWarning } from './routing/lint.js'
export { normaliseLabels } from './routing/normalise.js'
export { createRoutingTable, routeLabels } from './routing/table.js'
export type {
  ClosestFlavour,
  RouteDecision,
  RoutedDecision,
  RoutingTable,
  UnroutedDecision,
} from './routing/table.js'

// Queue backends (kombu-compatible).
export {
  buildKombuPayload,
  decodeKombuPayload,
  KOMBU_END_OF_PROCESSING_BODY,
  serialiseJob,
} from './queue/kombu-envelope.js'
export { createSqliteQueue, DEFAULT_SQLITE_BUSY_TIMEOUT_MS } from './queue/sqlite-queue.js'
export type { SqliteQueueOptions } from './queue/sqlite-queue.js'
export {
  createSqliteThreadQueue,
  DEFAULT_SQLITE_THREAD_BACKLOG,
} from './queue/sqlite-thread-queue.js'
export type { SqliteThreadQueueOptions } from './queue/sqlite-thread-queue.js'
export type { Sleep } from './queue/sqlite-busy.js'
export type { SqliteSynchronous } from './queue/sqlite-schema.js'
export {
  createMongoQueue,
  DEFAULT_MONGO_OPERATION_TIMEOUT_MS,
  DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS,
} from './queue/mongodb-queue.js'
export type { MongoQueueOptions } from './queue/mongodb-queue.js'
export type {
  MongoClientLike,
  MongoCollectionLike,
  MongoCursorLike,
  MongoDbLike,
  MongoUpdateResultLike,
} from './queue/mongodb-client.js'
export { KOMBU_DEFAULT_DATABASE, parseMongoUri } from './queue/mongodb-uri.js'
export type { MongoUriParts } from './queue/mongodb-uri.js'

// Canonical's webhook gateway stream on RabbitMQ (AMQP 0-9-1).
export {
  AmqpUnroutableError,
  createAmqpQueue,
  DEFAULT_AMQP_CONNECT_TIMEOUT_MS,
} from './queue/amqp/amqp-queue.js'
export type {
  AmqpBrokerView,
  AmqpQueue,
  AmqpQueueInfo,
  AmqpQueueOptions,
} from './queue/amqp/amqp-queue.js'
export { DEFAULT_AMQP_BACKOFF } from './queue/amqp/amqp-link.js'
export type { AmqpBackoff, AmqpLinkState } from './queue/amqp/amqp-link.js'
export { AmqpUriError, redactAmqpUri } from './queue/amqp/amqp-uri.js'
export { createMemoryDedupLedger, dedupKeysOf } from './queue/amqp/dedup-ledger.js'
export type { DedupKeys, DedupLedger, DedupVerdict } from './queue/amqp/dedup-ledger.js'
export { createSqliteDedupLedger } from './queue/amqp/sqlite-dedup-ledger.js'
export type { SqliteDedupLedgerOptions } from './queue/amqp/sqlite-dedup-ledger.js'
export {
  GATEWAY_EXCHANGE,
  GATEWAY_FORWARDED_HEADERS,
  GATEWAY_ROUTING_KEY,
  gatewayMessageProperties,
  PLANNER_DEAD_LETTER_EXCHANGE,
  PLANNER_DEAD_LETTER_QUEUE,
  PLANNER_QUEUE,
  TRACE_CONTEXT_HEADERS,
} from './queue/amqp/gateway-contract.js'
export type { GatewayMessageProperties } from './queue/amqp/gateway-contract.js'
export type {
  AmqpConfirmChannel,
  AmqpConnect,
  AmqpConnection,
  AmqpInspectChannel,
  AmqpPublishOptions,
  ReturnedMessage,
} from './queue/amqp/transport.js'
export { amqplibConnect } from './queue/amqp/transport.js'

// Webhook checks.
export { signBody, verifySignature } from './webhook/signature.js'
export type { MatchedSecret, SignatureCheck } from './webhook/signature.js'
export { parseWorkflowJobPayload, workflowJobActions } from './webhook/payload.js'
export type { PayloadParse, WorkflowJobAction, WorkflowJobEvent } from './webhook/payload.js'

// In-memory queue for tests and embedders (payload fixtures are in the /testing subpath).
export { createMemoryQueue } from './queue/memory.js'
export type { MemoryQueue, MemoryQueueMode, MemoryQueueOptions } from './queue/memory.js'

// The HTTP app.
export { createRouter, internalErrorText } from './http/router.js'
export type { RouterDeps } from './http/router.js'
export { createRouterCore } from './http/router-core.js'
export type { RouterCore } from './http/router-core.js'
export { createNodeWebhookHandler } from './http/node-webhook.js'
export type { NodeWebhookHandler } from './http/node-webhook.js'
export { createWebhookCore, textContentType } from './http/webhook-core.js'
export type {
  WebhookAnswer,
  WebhookCore,
  WebhookCoreDeps,
  WebhookInput,
  WebhookStatus,
} from './http/webhook-core.js'
export { readBodyWithin } from './http/body.js'
export type { BodyRead } from './http/body.js'
export { createRouterMetrics, routerMetricNames, webhookOutcomes } from './http/metrics.js'
export type {
  ActionLabel,
  EventLabel,
  QueueWriteOutcome,
  RouterMetrics,
  WebhookOutcome,
} from './http/metrics.js'
export { flavourHeader, outcomeHeader } from './http/webhook.js'

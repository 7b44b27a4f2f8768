import { Registry } from 'prom-client'
import type { RouterConfig } from '../config/router-config.js'
import { silentLogger, systemTimers } from '../ports.js'
import type { Clock, Logger, Timers } from '../ports.js'
import type { JobQueue, WebhookPublishRequest } from '../queue/port.js'
import { createRoutingTable } from '../routing/table.js'
import type { RoutingTable } from '../routing/table.js'
import { createRouterMetrics } from './metrics.js'
import type { RouterMetrics } from './metrics.js'
import { createWebhookCore } from './webhook-core.js'
import type { WebhookCore } from './webhook-core.js'

/**
 * What `createRouter` needs from its host: `config` and at least one of `queue` (the kombu
 * queues) and `stream` (Canonical's gateway stream on RabbitMQ); with both, every webhook is
 * written to each.
 */
export interface RouterDeps {
  readonly config: RouterConfig
  readonly queue?: JobQueue | undefined
  readonly stream?: JobQueue<WebhookPublishRequest> | undefined
  readonly logger?: Logger | undefined
  /** Milliseconds since the epoch; drives durations and the silence gauge. */
  readonly clock?: Clock | undefined
  /** The registry the router's metrics go to; a fresh one when absent, never the global one. */
  readonly registry?: Registry | undefined
  /** Timers for the publish and health bounds; tests fire them by hand. */
  readonly timers?: Timers | undefined
}

/**
 * One router's state, shared by every way of serving it: the Hono app (`createRouter(core)`)
 * and the `node:http` fast path (`createNodeWebhookHandler(core)`) built from one core write
 * to the same queue and count into the same metrics.
 */
export interface RouterCore {
  readonly config: RouterConfig
  readonly queue: JobQueue | undefined
  readonly stream: JobQueue<WebhookPublishRequest> | undefined
  readonly logger: Logger
  readonly clock: Clock
  readonly timers: Timers
  readonly registry: Registry
  readonly table: RoutingTable
  readonly metrics: RouterMetrics
  /** The framework-free `POST /webhook` pipeline. */
  readonly handleWebhook: WebhookCore
}

/**
 * Fills in the defaults, builds the routing table and registers the metrics, once. Build the
 * core when one process serves the router more than one way; `createRouter(deps)` alone is
 * enough otherwise.
 *
 * @example
 * ```ts
 * const core = createRouterCore({ config, queue, logger, registry })
 * const app = createRouter(core)
 * const fastPath = createNodeWebhookHandler(core)
 * ```
 */
export function createRouterCore(deps: RouterDeps): RouterCore {
  const { config, queue, stream } = deps
  if (queue === undefined && stream === undefined) {
    throw new TypeError('createRouter needs a queue, a stream, or both')
  }
  const logger = deps.logger ?? silentLogger
  const clock = deps.clock ?? Date.now
  const timers = deps.timers ?? systemTimers
  const registry = deps.registry ?? new Registry()
  const table = createRoutingTable(config)
  const flavours = [...new Set([...table.flavours, table.defaultFlavour])]
  const metrics = createRouterMetrics(registry, clock, flavours)
  const handleWebhook = createWebhookCore({
    config,
    table,
    queue,
    stream,
    logger,
    clock,
    timers,
    metrics,
  })
  return { config, queue, stream, logger, clock, timers, registry, table, metrics, handleWebhook }
}

/** True for a core from `createRouterCore`, false for plain `RouterDeps`. */
export function isRouterCore(deps: RouterDeps | RouterCore): deps is RouterCore {
  return 'handleWebhook' in deps && typeof deps.handleWebhook === 'function'
}

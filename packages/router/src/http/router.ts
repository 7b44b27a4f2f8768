import { Hono } from 'hono'
import { Registry } from 'prom-client'
import * as v from 'valibot'
import type { RouterConfig } from '../config/router-config.js'
import { silentLogger, systemTimers } from '../ports.js'
import type { Clock, Logger, Timers } from '../ports.js'
import type { JobQueue } from '../queue/port.js'
import { createRoutingTable, routeLabels } from '../routing/table.js'
import { isJsonContentType, parseJsonBody, readBodyWithin } from './body.js'
import { withinTimeout } from './bounded.js'
import { createRouterMetrics } from './metrics.js'
import { createWebhookHandler, describeError, safeLog } from './webhook.js'

/** What `createRouter` needs from its host. Only `config` and `queue` are required. */
export interface RouterDeps {
  readonly config: RouterConfig
  readonly queue: JobQueue
  readonly logger?: Logger | undefined
  /** Milliseconds since the epoch; drives durations and the silence gauge. */
  readonly clock?: Clock | undefined
  /** The registry the router's metrics go to; a fresh one when absent, never the global one. */
  readonly registry?: Registry | undefined
  /** Timers for the publish and health bounds; tests fire them by hand. */
  readonly timers?: Timers | undefined
}

const RouteQuerySchema = v.strictObject({
  labels: v.pipe(v.array(v.pipe(v.string(), v.maxLength(256))), v.maxLength(256)),
})

/** The answer to any error nobody anticipated: a retryable 503, never a 500. */
export const internalErrorText = 'Router failed to handle the request; redeliver later.'

/**
 * Creates the webhook router as a Hono app. It never listens: serve it, mount it
 * (`app.route('/github', router)`) or call `router.request(...)` in tests.
 *
 * Routes: `POST /webhook` (GitHub's deliveries), `GET /health` (503 while the queue cannot be
 * written) and `POST /route` (a dry run: which flavour would take these labels, and why).
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server'
 * const config = parseRouterConfig(process.env)
 * const queue = createSqliteQueue({ path: '/var/lib/webhook-router/queue.db' })
 * await queue.migrate()
 * const router = createRouter({ config, queue, logger, registry })
 * serve({ fetch: router.fetch, port: 8000 })
 * ```
 */
export function createRouter(deps: RouterDeps): Hono {
  const { config, queue } = deps
  const logger = deps.logger ?? silentLogger
  const clock = deps.clock ?? Date.now
  const timers = deps.timers ?? systemTimers
  const registry = deps.registry ?? new Registry()
  const table = createRoutingTable(config)
  const flavours = [...new Set([...table.flavours, table.defaultFlavour])]
  const metrics = createRouterMetrics(registry, clock, flavours)
  const app = new Hono()

  app.post(
    '/webhook',
    createWebhookHandler({ config, table, queue, logger, clock, timers, metrics }),
  )

  app.get('/health', async function health(c) {
    const result = await withinTimeout(
      (signal) => queue.checkWritable({ signal }),
      config.publishTimeoutMs,
      timers,
    )
    if (result.kind === 'done') return c.body(null, 200)
    const reason = result.kind === 'timeout' ? 'timeout' : describeError(result.error)
    safeLog(logger, 'warn', 'health check failed', { queue: queue.kind, reason })
    return c.text('Router is not ready to forward jobs.', 503)
  })

  app.post('/route', async function route(c) {
    const body = await readBodyWithin(c.req.raw, config.maxBodyBytes)
    if (!body.ok) return c.text(`Request body is larger than ${config.maxBodyBytes} bytes.`, 413)
    if (!isJsonContentType(c.req.header('content-type'))) {
      return c.text('Content-Type must be application/json.', 415)
    }
    const json = parseJsonBody(body.bytes)
    if (!json.ok) return c.text(json.reason, 400)
    const query = v.safeParse(RouteQuerySchema, json.value)
    if (!query.success) {
      return c.text(
        'Expected {"labels": [...]}: at most 256 strings of at most 256 characters.',
        400,
      )
    }
    return c.json(routeLabels(table, query.output.labels))
  })

  app.onError(function unexpected(error, c) {
    safeLog(logger, 'error', 'unexpected router error', {
      method: c.req.method,
      path: c.req.path,
      error: describeError(error),
    })
    return c.text(internalErrorText, 503)
  })

  return app
}

import { Hono } from 'hono'
import * as v from 'valibot'
import { routeLabels } from '../routing/table.js'
import { isJsonContentType, parseJsonBody, readBodyWithin } from './body.js'
import { withinTimeout } from './bounded.js'
import { createRouterCore, isRouterCore } from './router-core.js'
import type { RouterCore, RouterDeps } from './router-core.js'
import { createWebhookHandler } from './webhook.js'
import { describeError, internalErrorText, safeLog } from './webhook-core.js'

export type { RouterDeps } from './router-core.js'
export { internalErrorText } from './webhook-core.js'

const RouteQuerySchema = v.strictObject({
  labels: v.pipe(v.array(v.pipe(v.string(), v.maxLength(256))), v.maxLength(256)),
})

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
export function createRouter(deps: RouterDeps | RouterCore): Hono {
  const core = isRouterCore(deps) ? deps : createRouterCore(deps)
  const { config, logger, timers, table } = core
  const stores = [core.queue, core.stream].filter((store) => store !== undefined)
  const app = new Hono()

  app.post('/webhook', createWebhookHandler(core.handleWebhook))

  app.get('/health', async function health(c) {
    // Every store the webhooks go to must take writes; they are checked side by side.
    const results = await Promise.all(
      stores.map((store) =>
        withinTimeout((signal) => store.checkWritable({ signal }), config.publishTimeoutMs, timers),
      ),
    )
    const failed = results.findIndex((result) => result.kind !== 'done')
    const result = results[failed]
    if (result === undefined || result.kind === 'done') return c.body(null, 200)
    const reason = result.kind === 'timeout' ? 'timeout' : describeError(result.error)
    safeLog(logger, 'warn', 'health check failed', { queue: stores[failed]?.kind, reason })
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

import { createServer, type Server } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { createNodeWebhookHandler, createRouter, type RouterCore } from '@webhook-router/router'
import { createBodyAdmission } from './body-admission.js'
import type { HttpServerLimits } from './config.js'
import { BodyFirstResponse } from './early-answer.js'

/**
 * The webhook server: one `node:http` server over one router core, with explicit limits.
 *
 * `POST /webhook` is answered straight from Node's request and response (no Fetch API objects,
 * no framework routing: the hot path), everything else by the Hono app; both write to the same
 * queue and count into the same metrics. Slow clients are cut at the headers and request
 * timeouts (checked every second at most, not Node's 30 s), connections are capped, bodies read
 * at once are bounded by {@link createBodyAdmission}, and an early answer waits for the rest of
 * the body ({@link BodyFirstResponse}), so a client that writes before it reads still gets it.
 *
 * @example
 * const server = createWebhookServer(core, WORKLOAD_DEFAULTS.http)
 * server.listen(8000)
 */
export function createWebhookServer(core: RouterCore, limits: HttpServerLimits): Server {
  const webhook = createNodeWebhookHandler(core)
  // node-server's lightweight Request/Response replace the globals: responses skip the slow
  // Response-object path. Safe in this process: node-server's classes also match undici's
  // instances in `instanceof`, and @octokit (automatic redelivery) has no such checks. An
  // HTTP/1.0 probe may send no Host header; the URL then names localhost instead of a 400.
  const others = getRequestListener(createRouter(core).fetch, {
    overrideGlobalObjects: true,
    hostname: 'localhost',
  })
  const admit = createBodyAdmission({
    maxBytesInFlight: limits.maxBodyBytesInFlight,
    maxBodyBytes: core.config.maxBodyBytes,
  })
  const server = createServer(
    {
      ServerResponse: BodyFirstResponse,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    (request, response) =>
      admit(request, response, (admitted, answer) => {
        if (!webhook(admitted, answer)) void others(admitted, answer)
      }),
  )
  server.keepAliveTimeout = limits.keepAliveTimeoutMs
  server.maxConnections = limits.maxConnections
  return server
}

import { createServer, type Server } from 'node:http'
import type { Registry } from 'prom-client'
import { WORKLOAD_DEFAULTS, type HttpServerLimits } from './config.js'

/** The webhook server's timeouts also bound a slow client of the metrics port. */
export type MetricsServerLimits = Pick<HttpServerLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>

/**
 * A bare `node:http` server that exposes one registry on `GET /metrics`. It is separate from the
 * webhook server so that scrapes never queue behind webhook traffic and the metrics port can stay
 * private while the webhook port is exposed through ingress.
 *
 * @example
 * const server = createMetricsServer(registry)
 * server.listen(9102, '0.0.0.0')
 */
export function createMetricsServer(
  registry: Registry,
  limits: MetricsServerLimits = WORKLOAD_DEFAULTS.http,
): Server {
  const options = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  }
  return createServer(options, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('Not found: metrics are served on /metrics\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('Method not allowed: use GET\n')
      return
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(
          `Collecting metrics failed: ${error instanceof Error ? error.message : 'unknown'}\n`,
        )
      },
    )
  })
}

import { parseArgs } from 'node:util'
import type { Server } from 'node:http'
import {
  createRouterCore,
  lintRoutingConfig,
  type JobQueue,
  type Logger,
  type RouterConfig,
} from '@webhook-router/router'
import { collectDefaultMetrics, Registry } from 'prom-client'
import {
  loadAutoRedeliveryConfig,
  startAutoRedelivery,
  type AutoRedeliveryConfig,
} from '../auto-redelivery.js'
import { redactSecrets, type WorkloadConfig } from '../config.js'
import { EXIT } from '../exit-codes.js'
import { listen, makeDrainable, type DrainTimers } from '../http-lifecycle.js'
import { registerLogWriteFailures } from '../log-output.js'
import { createBufferedLogSink, createJsonLogger } from '../logger.js'
import { createMetricsServer } from '../metrics-server.js'
import { openConfiguredQueue, type QueueOpener } from '../open-queue.js'
import { createWebhookServer } from '../webhook-server.js'
import { HELP_OPTION, parseCommandArgs } from './args.js'
import { loadRouterConfig, loadWorkloadConfig } from './load-config.js'
import type { Command, CommandIo } from './types.js'

/** The effects `serve` uses, replaceable in tests. */
export interface ServeDeps {
  readonly openQueue?: QueueOpener
  /** Collect Node's process metrics on the registry; off in in-process tests that start many servers. */
  readonly collectProcessMetrics?: boolean
  readonly clock?: () => number
  readonly timers?: DrainTimers
  /**
   * Batch log lines per event-loop turn (one stdout write per turn instead of per request).
   * On in the real command; off by default so in-process tests see each line at once.
   */
  readonly bufferLogs?: boolean
  /** Called once both servers listen, with their bound ports (tests pass port 0). */
  readonly onListening?: (ports: { readonly http: number; readonly metrics: number }) => void
}

/** How long `serve` waits for MongoDB at start before carrying on unready. */
const STARTUP_MIGRATE_TIMEOUT_MS = 5000

const HELP = `Usage: webhook-router serve

Receives GitHub workflow_job webhooks on POST /webhook (also GET /health, POST /route) and
publishes queued jobs to the flavour's queue. Prometheus metrics are served on a separate port.

Environment:
  APP_FLAVOURS                  YAML list of one-key maps, flavour -> labels (required)
  APP_DEFAULT_FLAVOUR           flavour for jobs with no labels left (required)
  APP_DEFAULT_SELF_HOSTED_LABELS  labels stripped before routing (required, e.g. self-hosted,linux)
  APP_WEBHOOK_SECRET            HMAC secret; unset = signatures are not checked (warned)
  APP_WEBHOOK_SECRET_PREVIOUS   also accepted, for rotation
  APP_HOST                      listen address (default 0.0.0.0)
  APP_PORT                      webhook port (default 8000)
  APP_METRICS_PORT              metrics port (default 9102)
  APP_LOG_LEVEL                 debug | info | warning | error, any case (default info)
  APP_QUEUE_PATH                SQLite queue file (default ./.data/queue.sqlite)
  APP_QUEUE_SYNCHRONOUS         SQLite durability: full (default, survives power loss) or normal
  MONGODB_DB_CONNECT_STRING     use MongoDB instead of SQLite
  APP_SHUTDOWN_TIMEOUT_MS       drain bound on SIGTERM/SIGINT (default 4000)
  APP_SHUTDOWN_DRAIN_WINDOW_MS  keep listening this long after SIGTERM (default 1000)
  APP_HTTP_HEADERS_TIMEOUT_MS   drop a request whose headers are not in by then (default 5000)
  APP_HTTP_REQUEST_TIMEOUT_MS   drop a request not fully received by then (default 10000)
  APP_HTTP_KEEP_ALIVE_TIMEOUT_MS  close idle keep-alive connections after (default 5000)
  APP_HTTP_MAX_CONNECTIONS      connections beyond it are closed at once (default 512)
  APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT  body bytes read at once; others wait (default 4194304)
  APP_REDELIVERY_INTERVAL       seconds between scans for failed deliveries (unset = off);
                                with APP_REDELIVERY_GITHUB_PATH, APP_REDELIVERY_WEBHOOK_ID, GITHUB_*
  More router settings (APP_MAX_BODY_BYTES, APP_PUBLISH_TIMEOUT_MS, ...): see the README.

Signals: SIGTERM or SIGINT answers everything from then on with Connection: close, keeps
listening for APP_SHUTDOWN_DRAIN_WINDOW_MS, then stops accepting, drains requests in flight
(bounded by APP_SHUTDOWN_TIMEOUT_MS), closes the queue and exits 0. A second signal exits 1 at
once.

Exit codes: 0 stopped by a signal, 1 invalid configuration or startup failure, 2 usage error.`

/**
 * Builds the `serve` command: the webhook server and the metrics server over one queue.
 *
 * @example
 * const command = createServeCommand({ openQueue: async () => createMemoryQueue() })
 */
export function createServeCommand(deps: ServeDeps = {}): Command {
  return {
    name: 'serve',
    summary: 'Serve the webhook endpoint and Prometheus metrics',
    help: HELP,
    async run(io) {
      const { values } = parseCommandArgs('serve', 0, () =>
        parseArgs({ args: [...io.argv], options: HELP_OPTION, strict: true }),
      )
      if (values.help) {
        io.stdout(HELP)
        return EXIT.ok
      }
      const workload = loadWorkloadConfig(io)
      if (!workload) return EXIT.failure
      const routing = loadRouterConfig(io)
      if (!routing) return EXIT.failure
      const recovery = loadAutoRedeliveryConfig(io)
      if (recovery === null) return EXIT.failure
      const buffered = deps.bufferLogs ? createBufferedLogSink(io.stdout) : undefined
      const logger = createJsonLogger({
        level: workload.logLevel,
        sink: buffered?.sink ?? io.stdout,
        clock: deps.clock,
      })
      // A second signal exits at once (cli.ts); the lines of that last turn still get out.
      if (buffered) process.once('exit', buffered.flush)
      try {
        return await serveUntilStopped(io, { workload, routing, recovery }, logger, deps)
      } finally {
        if (buffered) {
          process.off('exit', buffered.flush)
          buffered.flush()
        }
      }
    },
  }
}

interface ServeConfig {
  readonly workload: WorkloadConfig
  readonly routing: RouterConfig
  /** Automatic redelivery of failed webhooks; undefined when `APP_REDELIVERY_INTERVAL` is off. */
  readonly recovery: AutoRedeliveryConfig | undefined
}

async function serveUntilStopped(
  io: CommandIo,
  { workload, routing, recovery }: ServeConfig,
  logger: Logger,
  deps: ServeDeps,
): Promise<number> {
  for (const warning of lintRoutingConfig(routing)) {
    logger.warn(warning.message, { code: warning.code, flavour: warning.flavour })
  }

  let queue: JobQueue
  try {
    queue = await (deps.openQueue ?? openConfiguredQueue)(workload, 'create', {
      dedupRetentionMs: routing.dedupRetentionMs,
      writerThread: true,
      logger,
    })
  } catch (error) {
    const reason = redactSecrets(errorMessage(error), io.env)
    io.stderr(`webhook-router serve: cannot open the queue: ${reason}`)
    return EXIT.failure
  }
  try {
    await queue.migrate({
      signal: AbortSignal.any([io.stopSignal, AbortSignal.timeout(STARTUP_MIGRATE_TIMEOUT_MS)]),
    })
  } catch (error) {
    if (io.stopSignal.aborted) {
      await queue.close()
      return EXIT.ok
    }
    const reason = redactSecrets(errorMessage(error), io.env)
    // A local file that cannot be set up will not fix itself; a database that is down may, and
    // meanwhile /health answers 503 so GitHub's failed deliveries can be redelivered later.
    if (queue.kind !== 'mongodb') {
      io.stderr(`webhook-router serve: cannot prepare the queue: ${reason}`)
      await queue.close()
      return EXIT.failure
    }
    logger.warn('queue not ready at start; serving unready until it is', { reason })
  }

  if (io.stopSignal.aborted) {
    await queue.close()
    return EXIT.ok
  }

  const registry = new Registry()
  if (deps.collectProcessMetrics ?? true) collectDefaultMetrics({ register: registry })
  if (io.outputFailures) registerLogWriteFailures(registry, io.outputFailures)
  const http = createWebhookServer(
    createRouterCore({ config: routing, queue, logger, registry, clock: deps.clock }),
    workload.http,
  )
  const metrics = createMetricsServer(registry, workload.http)
  const drainHttp = makeDrainable(http)
  const drainMetrics = makeDrainable(metrics)

  let ports: { http: number; metrics: number }
  try {
    ports = {
      http: await listenOrExplain(http, workload.port, workload.host, 'webhook'),
      metrics: await listenOrExplain(metrics, workload.metricsPort, workload.host, 'metrics'),
    }
  } catch (error) {
    io.stderr(`webhook-router serve: ${errorMessage(error)}`)
    await Promise.all([closeQuietly(http), closeQuietly(metrics)])
    await queue.close()
    return EXIT.failure
  }

  logger.info('webhook-router listening', {
    webhook_url: `http://${hostForUrl(workload.host)}:${ports.http}/webhook`,
    metrics_url: `http://${hostForUrl(workload.host)}:${ports.metrics}/metrics`,
    queue_kind: queue.kind,
    queue_location: queue.location,
    flavours: routing.flavours.map((f) => f.name),
    default_flavour: routing.defaultFlavour,
  })
  if (routing.secrets.current === undefined) {
    logger.warn(
      'no webhook secret is set (APP_WEBHOOK_SECRET): webhooks are accepted without a signature check',
    )
  }
  // Background scans for failed deliveries (issue #3); they never block webhook handling.
  const scheduler = recovery && startAutoRedelivery({ config: recovery, registry, logger })
  deps.onListening?.(ports)

  await whenAborted(io.stopSignal)
  const signal = String(io.stopSignal.reason ?? 'stop')
  logger.info('stopping: draining requests in flight', {
    signal,
    timeout_ms: workload.shutdownTimeoutMs,
    window_ms: workload.shutdownDrainWindowMs,
  })
  const drain = {
    windowMs: workload.shutdownDrainWindowMs,
    timeoutMs: workload.shutdownTimeoutMs,
    timers: deps.timers,
  }
  const [, webhook] = await Promise.all([scheduler?.stop(), drainHttp(drain), drainMetrics(drain)])
  if (!webhook.drained) logger.warn('drain timed out; open connections were cut')
  await queue.close()
  logger.info('stopped')
  return EXIT.ok
}

async function listenOrExplain(server: Server, port: number, host: string, what: string) {
  try {
    return await listen(server, port, host)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'EADDRINUSE' ? 'the address is in use' : errorMessage(error)
    throw new Error(`cannot listen for ${what} on ${host}:${port}: ${reason}`, { cause: error })
  }
}

function closeQuietly(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
}

function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** `webhook-router serve`, with the real queue, process metrics and batched log writes. */
export const serveCommand: Command = createServeCommand({ bufferLogs: true })

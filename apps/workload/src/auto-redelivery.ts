/**
 * Automatic recovery of failed webhooks (issue #3): when `APP_REDELIVERY_INTERVAL` is set,
 * `serve` runs the same scan as `webhook-router redeliver` in the background. The scan talks
 * only to GitHub; GitHub's redeliveries arrive at POST /webhook like any other webhook, so
 * webhook handling is never blocked by it.
 */
import {
  createGitHubClient,
  createRedeliveryScheduler,
  describeHook,
  parseGitHubApiUrl,
  parseGitHubAuthEnv,
  parseHookAddress,
  redeliverFailedDeliveries,
  RedeliveryConfigError,
} from '@webhook-router/redelivery'
import type {
  DeliverySummary,
  GitHubAuth,
  HookAddress,
  RedeliveryScheduler,
  SchedulerMetrics,
  SchedulerTimers,
} from '@webhook-router/redelivery'
import type { Logger } from '@webhook-router/router'
import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'

import type { CommandIo } from './commands/types.js'

/** The variables read here, besides GitHub's `GITHUB_*` credentials and `GITHUB_API_URL`. */
export const AUTO_REDELIVERY_ENV = [
  'APP_REDELIVERY_INTERVAL',
  'APP_REDELIVERY_GITHUB_PATH',
  'APP_REDELIVERY_WEBHOOK_ID',
] as const

export interface AutoRedeliveryConfig {
  readonly intervalSeconds: number
  /** How far back each scan looks: `max(2 × interval, 600)` seconds. */
  readonly windowSeconds: number
  readonly hook: HookAddress
  readonly auth: GitHubAuth
  readonly baseUrl: string
}

/** Shortest accepted interval; every scan costs at least one GitHub API request. */
const MIN_INTERVAL_S = 10
const MAX_INTERVAL_S = 86_400
/** The window never drops below this, so a short interval still covers a restart. */
const MIN_WINDOW_S = 600
/** A webhook this process has redelivered this many times is left alone (poison webhooks). */
export const MAX_ATTEMPTS_PER_WEBHOOK = 3

type Env = Readonly<Record<string, string | undefined>>

/**
 * Reads the automatic-recovery settings. Unset, empty or `0` `APP_REDELIVERY_INTERVAL` turns it
 * off (`undefined`); otherwise the hook address and GitHub credentials are required.
 *
 * The window is twice the interval (at least 10 minutes): a failure is then seen by at least
 * two scans, so one failing scan (rate limit, GitHub outage) loses nothing, and a scan that
 * starts late or runs long still overlaps the previous one. Overlap is safe: a webhook with a
 * successful delivery is never redelivered again, and the router deduplicates anyway.
 *
 * @throws RedeliveryConfigError with a one-line message naming the variable, never a secret.
 */
export function parseAutoRedeliveryEnv(env: Env): AutoRedeliveryConfig | undefined {
  const interval = env['APP_REDELIVERY_INTERVAL']?.trim() ?? ''
  if (interval === '' || interval === '0') return undefined
  const seconds = /^\d{1,6}$/.test(interval) ? Number(interval) : NaN
  if (!(seconds >= MIN_INTERVAL_S && seconds <= MAX_INTERVAL_S)) {
    throw new RedeliveryConfigError(
      `Invalid 'APP_REDELIVERY_INTERVAL' config. Expected whole seconds from ${MIN_INTERVAL_S} to ${MAX_INTERVAL_S}, or 0 to turn automatic redelivery off.`,
    )
  }
  const missing = AUTO_REDELIVERY_ENV.slice(1).filter((name) => (env[name]?.trim() ?? '') === '')
  if (missing.length > 0) {
    throw new RedeliveryConfigError(
      `APP_REDELIVERY_INTERVAL is set but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not`,
    )
  }
  let hook: HookAddress
  try {
    hook = parseHookAddress(
      env['APP_REDELIVERY_GITHUB_PATH'] ?? '',
      env['APP_REDELIVERY_WEBHOOK_ID'] ?? '',
    )
  } catch (error) {
    throw new RedeliveryConfigError(
      `Invalid automatic redelivery config. ${(error as Error).message}`,
    )
  }
  return {
    intervalSeconds: seconds,
    windowSeconds: Math.max(2 * seconds, MIN_WINDOW_S),
    hook,
    auth: parseGitHubAuthEnv(env),
    baseUrl: parseGitHubApiUrl(env),
  }
}

/**
 * Parses the settings for `serve`, printing the one-line reason and returning `null` when they
 * are invalid (the caller exits 1); `undefined` means automatic redelivery is off.
 */
export function loadAutoRedeliveryConfig(io: CommandIo): AutoRedeliveryConfig | undefined | null {
  try {
    return parseAutoRedeliveryEnv(io.env)
  } catch (error) {
    if (error instanceof RedeliveryConfigError) {
      io.stderr(`webhook-router serve: ${error.message}`)
      return null
    }
    throw error
  }
}

/**
 * Registers the recovery metrics on the app's registry:
 * `webhook_router_redeliveries_total`, `webhook_router_redelivery_scan_errors_total{kind}` and
 * `webhook_router_redelivery_last_success_timestamp_seconds`.
 */
export function createRedeliveryMetrics(registry: Registry): SchedulerMetrics {
  const redeliveries = new Counter({
    name: 'webhook_router_redeliveries_total',
    help: 'Failed webhook deliveries the automatic recovery asked GitHub to redeliver.',
    registers: [registry],
  })
  const errors = new Counter({
    name: 'webhook_router_redelivery_scan_errors_total',
    help: 'Automatic redelivery scans that failed, by kind (bad-credentials, rate-limited, github, invalid-delivery, unexpected).',
    labelNames: ['kind'],
    registers: [registry],
  })
  const lastSuccess = new Gauge({
    name: 'webhook_router_redelivery_last_success_timestamp_seconds',
    help: 'Unix time at which the last automatic redelivery scan completed.',
    registers: [registry],
  })
  // Zero series exist from the start, so rate() and absent-alerts work before the first error.
  for (const kind of [
    'bad-credentials',
    'rate-limited',
    'github',
    'invalid-delivery',
    'unexpected',
  ]) {
    errors.inc({ kind }, 0)
  }
  return {
    scanSucceeded(report, finishedAtMs) {
      redeliveries.inc(report.redelivered.length)
      lastSuccess.set(finishedAtMs / 1000)
    },
    scanFailed(kind) {
      errors.inc({ kind })
    },
  }
}

export interface AutoRedeliveryDeps {
  readonly config: AutoRedeliveryConfig
  readonly registry: Registry
  readonly logger: Logger
  readonly fetch?: typeof globalThis.fetch | undefined
  readonly timers?: SchedulerTimers | undefined
  readonly now?: (() => number) | undefined
}

/**
 * Starts the background scans (the first one immediately) and returns the scheduler; call
 * `stop()` on shutdown, which aborts a scan in flight.
 *
 * @example
 * const config = parseAutoRedeliveryEnv(process.env)
 * const recovery = config && startAutoRedelivery({ config, registry, logger })
 * // on SIGTERM: await recovery?.stop()
 */
export function startAutoRedelivery(deps: AutoRedeliveryDeps): RedeliveryScheduler {
  const { config, logger } = deps
  const now = deps.now ?? Date.now
  const octokit = createGitHubClient(config.auth, { baseUrl: config.baseUrl, fetch: deps.fetch })
  const attempts = createAttemptLedger(config.windowSeconds * 1000, now)
  const scheduler = createRedeliveryScheduler({
    intervalMs: config.intervalSeconds * 1000,
    timers: deps.timers,
    logger,
    now,
    metrics: createRedeliveryMetrics(deps.registry),
    run: (signal) =>
      redeliverFailedDeliveries({
        octokit,
        hook: config.hook,
        sinceSeconds: config.windowSeconds,
        now,
        signal,
        filter: (delivery) => (attempts.exhausted(delivery) ? 'attempt-limit' : undefined),
        onProgress: (event) => {
          if (event.type === 'redelivered') {
            attempts.record(event.delivery)
            logger.info('asked GitHub to redeliver a failed webhook', {
              delivery_id: event.delivery.id,
              guid: event.delivery.guid,
              delivered_at: event.delivery.deliveredAt.toISOString(),
              status: event.delivery.status,
            })
          } else if (event.type === 'skipped' && event.delivery.reason === 'attempt-limit') {
            logger.warn('not redelivering a webhook that keeps failing', {
              delivery_id: event.delivery.id,
              guid: event.delivery.guid,
              status: event.delivery.status,
              attempts: MAX_ATTEMPTS_PER_WEBHOOK,
            })
          }
        },
      }),
  })
  logger.info('automatic redelivery on', {
    hook: describeHook(config.hook),
    interval_s: config.intervalSeconds,
    window_s: config.windowSeconds,
    github_api_url: config.baseUrl,
    auth: config.auth.kind,
  })
  scheduler.start()
  return scheduler
}

/**
 * Counts this process's redeliveries per webhook (guid). Without it, a webhook the router
 * rejects for good (a 4xx) would be redelivered every interval forever, since each failed
 * redelivery is a new, recent failed delivery.
 */
function createAttemptLedger(retentionMs: number, now: () => number) {
  const byGuid = new Map<string, { count: number; lastAt: number }>()
  return {
    exhausted(delivery: DeliverySummary): boolean {
      const cutoff = now() - retentionMs
      for (const [guid, entry] of byGuid) if (entry.lastAt < cutoff) byGuid.delete(guid)
      const entry = delivery.guid === undefined ? undefined : byGuid.get(delivery.guid)
      return entry !== undefined && entry.count >= MAX_ATTEMPTS_PER_WEBHOOK
    },
    record(delivery: DeliverySummary): void {
      if (delivery.guid === undefined) return
      const entry = byGuid.get(delivery.guid)
      byGuid.set(delivery.guid, { count: (entry?.count ?? 0) + 1, lastAt: now() })
    },
  }
}

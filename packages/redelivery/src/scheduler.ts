import type { RedeliveryReport } from './redeliver.js'
import { RedeliveryError } from './errors.js'

/** The timer functions the scheduler uses; tests pass fakes and advance them by hand. */
export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Structured logger, compatible with the router's `Logger`. */
export interface SchedulerLogger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** What the scheduler reports; `apps/workload` binds it to prom-client counters. */
export interface SchedulerMetrics {
  scanSucceeded(report: RedeliveryReport, finishedAtMs: number): void
  scanFailed(kind: RedeliveryError['kind'] | 'unexpected'): void
}

export interface RedeliverySchedulerOptions {
  /** One scan. It must honour the signal: `stop()` aborts an in-flight scan through it. */
  readonly run: (signal: AbortSignal) => Promise<RedeliveryReport>
  /** Pause between the end of one scan and the start of the next. */
  readonly intervalMs: number
  readonly timers?: SchedulerTimers | undefined
  readonly logger: SchedulerLogger
  readonly metrics?: SchedulerMetrics | undefined
  readonly now?: (() => number) | undefined
}

export interface RedeliveryScheduler {
  /** Runs a scan now, then one every interval after the previous settles. Idempotent. */
  start(): void
  /** Runs one scan now unless one is in flight (then waits for that one). Never rejects. */
  runOnce(): Promise<void>
  /** Cancels the timer, aborts an in-flight scan and resolves once it has settled. */
  stop(): Promise<void>
}

/**
 * Runs redelivery scans periodically, in the background. Scans never overlap: the next one is
 * scheduled `intervalMs` after the previous one settles. A failing scan is logged, counted and
 * simply retried at the next interval, or after GitHub's rate-limit reset when that is later
 * (at most an hour away); nothing here throws into the caller.
 *
 * @example
 * ```ts
 * const scheduler = createRedeliveryScheduler({
 *   run: (signal) => redeliverFailedDeliveries({ octokit, hook, sinceSeconds: 600, now: Date.now, signal }),
 *   intervalMs: 300_000,
 *   logger,
 * })
 * scheduler.start()
 * process.on('SIGTERM', () => void scheduler.stop())
 * ```
 */
export function createRedeliveryScheduler(
  options: RedeliverySchedulerOptions,
): RedeliveryScheduler {
  const timers = options.timers ?? defaultTimers
  const now = options.now ?? Date.now
  const { logger, metrics } = options
  let timer: unknown
  let inFlight: Promise<void> | undefined
  let controller: AbortController | undefined
  let started = false
  let stopped = false

  // Set by a rate-limited scan: asking again before GitHub's reset would only fail again.
  let notBefore = 0
  // A reset further away than this is not trusted (clock skew, a bogus header).
  const maxBackoffMs = Math.max(options.intervalMs, 3600_000)

  function schedule(): void {
    if (stopped) return
    const untilReset = Math.min(notBefore - now(), maxBackoffMs)
    timer = timers.setTimeout(
      () => {
        timer = undefined
        void runOnce().then(schedule)
      },
      Math.max(options.intervalMs, untilReset),
    )
  }

  async function scan(signal: AbortSignal): Promise<void> {
    try {
      const report = await options.run(signal)
      metrics?.scanSucceeded(report, now())
      const fields = {
        scanned: report.scanned,
        redelivered: report.redelivered.map((delivery) => delivery.id),
        failed: report.failed.map((delivery) => delivery.id),
      }
      if (report.failed.length > 0)
        logger.warn('redelivery scan: some redeliveries refused', fields)
      else if (report.redelivered.length > 0)
        logger.info('redelivery scan redelivered webhooks', fields)
    } catch (error) {
      if (signal.aborted) return
      const kind = error instanceof RedeliveryError ? error.kind : 'unexpected'
      metrics?.scanFailed(kind)
      const resetAt = error instanceof RedeliveryError ? error.resetAt : undefined
      if (resetAt !== undefined) notBefore = resetAt.getTime()
      logger.error('redelivery scan failed; retrying at the next interval', {
        kind,
        error: error instanceof Error ? error.message : String(error),
        ...(resetAt === undefined ? {} : { retry_not_before: resetAt.toISOString() }),
      })
    }
  }

  function runOnce(): Promise<void> {
    if (stopped) return Promise.resolve()
    if (inFlight !== undefined) return inFlight
    controller = new AbortController()
    inFlight = scan(controller.signal).finally(() => {
      inFlight = undefined
      controller = undefined
    })
    return inFlight
  }

  return {
    start() {
      if (started || stopped) return
      started = true
      // Scan right away: webhooks that failed while this process was down are the likeliest.
      void runOnce().then(schedule)
    },
    runOnce,
    async stop() {
      stopped = true
      if (timer !== undefined) timers.clearTimeout(timer)
      timer = undefined
      controller?.abort(new Error('redelivery scheduler stopped'))
      await inFlight
    },
  }
}

const defaultTimers: SchedulerTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms)
    // A pending scan must not keep the process alive during shutdown.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * Bounded waiting for a locked SQLite database without blocking the event loop for long.
 *
 * better-sqlite3 is synchronous: while SQLite's busy handler waits for a lock, the whole Node
 * process (every other HTTP request, `/health`, metrics) waits too. So each attempt lets SQLite
 * wait only a short slice ({@link SQLITE_BLOCKING_SLICE_MS}), which covers an ordinary concurrent
 * commit, and between attempts we wait asynchronously with a growing delay until the caller's
 * budget or `AbortSignal` runs out. The cost is a little latency under contention; the gain is
 * that a process holding the lock for seconds cannot freeze the router.
 *
 * @module
 */
import { QueueUnavailableError } from './port.js'

/** How long one attempt may block the event loop inside SQLite's busy handler. */
export const SQLITE_BLOCKING_SLICE_MS = 20

/** Waits `ms` milliseconds, rejecting early when `signal` aborts. Injected in tests. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

/** The timer-based {@link Sleep}. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

interface SqliteErrorLike {
  readonly code: string
  readonly message: string
}

function isSqliteError(error: unknown): error is SqliteErrorLike {
  if (!(error instanceof Error)) return false
  const code: unknown = (error as Error & { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('SQLITE_')
}

/** Lock contention that goes away by itself: retry it. */
export function isSqliteBusy(error: unknown): boolean {
  return isSqliteError(error) && /^SQLITE_(BUSY|LOCKED)/.test(error.code)
}

/**
 * Maps an SQLite failure (locked, read-only, disk full, I/O error, corrupt file) to
 * {@link QueueUnavailableError} with a one-line reason; anything else (a bug) passes through.
 */
export function toQueueError(error: unknown, what: string): unknown {
  if (error instanceof QueueUnavailableError) return error
  if (!isSqliteError(error)) return error
  const reason = error.message.split('\n')[0]
  return new QueueUnavailableError(`${what}: ${reason} (${error.code})`, { cause: error })
}

export interface BusyRetryOptions {
  /** Total time budget for all attempts, in ms. */
  readonly budgetMs: number
  readonly sleep: Sleep
  readonly signal?: AbortSignal | undefined
  /** Monotonic milliseconds; the budget is also checked against real elapsed time. */
  readonly now?: () => number
}

/**
 * Runs `attempt` until it succeeds, fails with something other than lock contention, or the
 * budget is spent. Budget accounting counts each attempt as a full blocking slice, so the bound
 * holds even with an instant fake `sleep`.
 */
export async function withBusyRetry<T>(
  what: string,
  attempt: () => T,
  options: BusyRetryOptions,
): Promise<T> {
  const now = options.now ?? (() => performance.now())
  const started = now()
  let spent = 0
  let delay = 5
  for (;;) {
    throwIfAborted(what, options.signal)
    try {
      return attempt()
    } catch (error) {
      if (!isSqliteBusy(error)) throw toQueueError(error, what)
      spent += SQLITE_BLOCKING_SLICE_MS
      const remaining = options.budgetMs - Math.max(spent, now() - started)
      if (remaining <= 0) {
        throw new QueueUnavailableError(
          `${what}: database is locked by another connection (gave up after ${options.budgetMs} ms)`,
          { cause: error },
        )
      }
      const pause = Math.min(delay, remaining)
      try {
        await options.sleep(pause, options.signal)
      } catch {
        throwIfAborted(what, options.signal)
      }
      spent += pause
      delay = Math.min(delay * 2, 100)
    }
  }
}

function throwIfAborted(what: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new QueueUnavailableError(`${what}: aborted while waiting for the database`, {
      cause: signal.reason,
    })
  }
}

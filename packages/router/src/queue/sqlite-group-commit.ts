/**
 * Group commit for the SQLite adapter.
 *
 * better-sqlite3 commits synchronously, and with `synchronous=FULL` each commit waits for an
 * fsync on the event loop, so one transaction per publish caps throughput near 1/fsync whatever
 * the concurrency. Instead, publishes that arrive while the loop is busy are collected and
 * committed together at the next {@link Schedule} tick: one transaction and one fsync per batch.
 * Each caller is resolved with its own outcome, and only after the commit returned.
 *
 * Failures never lose or misreport anyone: a batch that fails for any reason other than lock
 * contention was rolled back as a whole, so each of its items is retried alone and only a bad
 * one fails. Lock contention retries the batch with the same bounded backoff as
 * `withBusyRetry`, then rejects every caller with {@link QueueUnavailableError}.
 *
 * Cancellation: a caller whose signal aborts before its batch commits is rejected at once and
 * its item is never written (the commit is synchronous, so an abort cannot land mid-commit).
 * If the bound runs out after the commit but before the caller saw the result, the job is
 * stored although the caller answered an error; GitHub's redelivery of it then carries the same
 * delivery id and is answered as a duplicate, so the job is queued exactly once.
 *
 * @module
 */
import { QueueUnavailableError } from './port.js'
import { SQLITE_BLOCKING_SLICE_MS, isSqliteBusy, toQueueError } from './sqlite-busy.js'
import type { Sleep } from './sqlite-busy.js'

/** Runs `flush` soon, after the I/O callbacks already queued. Default `setImmediate`. */
export type Schedule = (flush: () => void) => void

/** The default {@link Schedule}: after the current poll phase, so a whole burst shares a batch. */
export const immediateSchedule: Schedule = (flush) => void setImmediate(flush)

/** Most items one transaction takes; a larger backlog is split over consecutive batches. */
export const MAX_GROUP_COMMIT_BATCH = 256

export interface GroupCommitOptions<I, O> {
  /**
   * Writes every item in one transaction and returns their outcomes in order, or throws and
   * writes nothing. Items later in the array see the writes of earlier ones.
   */
  readonly commit: (items: readonly I[]) => O[]
  /** Prefix of every error message, e.g. `cannot publish to SQLite queue at /x`. */
  readonly what: string
  /** Total wait for a locked database per batch, in ms. */
  readonly budgetMs: number
  readonly sleep: Sleep
  readonly schedule?: Schedule | undefined
  /** Monotonic milliseconds, for the lock budget. Default `performance.now`. */
  readonly now?: (() => number) | undefined
}

/** Submits items to be committed in groups; see the module comment. */
export interface GroupCommitter<I, O> {
  /** Resolves with the item's outcome once its batch committed. */
  submit(item: I, signal?: AbortSignal): Promise<O>
  /** Commits what is waiting now and resolves once every batch in progress has settled. */
  drain(): Promise<void>
}

interface Pending<I, O> {
  readonly item: I
  settled: boolean
  resolve(outcome: O): void
  reject(error: unknown): void
}

/**
 * Creates a {@link GroupCommitter}.
 *
 * @example
 * const group = createGroupCommitter({ commit: (items) => db.transaction(() => items.map(write)).immediate(), what: 'publish', budgetMs: 1000, sleep: timerSleep })
 * await group.submit(request, signal)
 */
export function createGroupCommitter<I, O>(
  options: GroupCommitOptions<I, O>,
): GroupCommitter<I, O> {
  const { commit, what, budgetMs, sleep } = options
  const schedule = options.schedule ?? immediateSchedule
  const now = options.now ?? (() => performance.now())
  let waiting: Pending<I, O>[] = []
  let scheduled = false
  const inProgress = new Set<Promise<void>>()

  function flush(): void {
    scheduled = false
    const batch = waiting.slice(0, MAX_GROUP_COMMIT_BATCH)
    waiting = waiting.slice(batch.length)
    if (waiting.length > 0) {
      scheduled = true
      schedule(flush)
    }
    if (batch.length === 0) return
    const settling = settle(batch)
    inProgress.add(settling)
    void settling.finally(() => inProgress.delete(settling))
  }

  async function settle(batch: readonly Pending<I, O>[]): Promise<void> {
    const started = now()
    let spent = 0
    let delay = 5
    for (;;) {
      const live = batch.filter((entry) => !entry.settled)
      if (live.length === 0) return
      let outcomes: O[]
      try {
        outcomes = commit(live.map((entry) => entry.item))
      } catch (error) {
        if (!isSqliteBusy(error)) {
          if (live.length === 1) return fail(live, toQueueError(error, what))
          // The batch was rolled back; alone, only the item that caused it fails.
          for (const entry of live) await settle([entry])
          return
        }
        spent += SQLITE_BLOCKING_SLICE_MS
        const remaining = budgetMs - Math.max(spent, now() - started)
        if (remaining <= 0) {
          const reason = `${what}: database is locked by another connection (gave up after ${budgetMs} ms)`
          return fail(live, new QueueUnavailableError(reason, { cause: error }))
        }
        const pause = Math.min(delay, remaining)
        await sleep(pause).catch(() => undefined)
        spent += pause
        delay = Math.min(delay * 2, 100)
        continue
      }
      live.forEach((entry, index) => {
        entry.settled = true
        entry.resolve(outcomes[index] as O)
      })
      return
    }
  }

  function fail(entries: readonly Pending<I, O>[], error: unknown): void {
    for (const entry of entries) {
      entry.settled = true
      entry.reject(error)
    }
  }

  return {
    submit(item, signal) {
      return new Promise<O>((resolve, reject) => {
        const aborted = () =>
          new QueueUnavailableError(`${what}: aborted while waiting for the database`, {
            cause: signal?.reason,
          })
        if (signal?.aborted) return reject(aborted())
        const onAbort = () => {
          if (entry.settled) return
          entry.settled = true
          reject(aborted())
        }
        const entry: Pending<I, O> = {
          item,
          settled: false,
          resolve(outcome) {
            signal?.removeEventListener('abort', onAbort)
            resolve(outcome)
          },
          reject(error) {
            signal?.removeEventListener('abort', onAbort)
            reject(error)
          },
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        waiting.push(entry)
        if (!scheduled) {
          scheduled = true
          schedule(flush)
        }
      })
    },

    async drain() {
      while (waiting.length > 0) flush()
      while (inProgress.size > 0) await Promise.all([...inProgress])
    },
  }
}

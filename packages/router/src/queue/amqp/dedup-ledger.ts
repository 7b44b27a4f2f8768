/**
 * Where the AMQP adapter remembers what it published. RabbitMQ keeps no queryable record of
 * past messages, so dedup records live beside it: in a SQLite file by default.
 *
 * @module
 */
import type { QueueCallOptions } from '../port.js'

/** The dedup keys of one webhook; either may be absent. */
export interface DedupKeys {
  /** `X-GitHub-Delivery`: the same on every redelivery of one webhook. */
  readonly deliveryId?: string | undefined
  /**
   * `workflow_job.id` with the action, e.g. `42:queued`: GitHub sends `queued` twice for a job
   * that waits for an approval, while `in_progress` and `completed` of one job are distinct.
   */
  readonly jobKey?: string | undefined
}

/** What the ledger knows of a webhook. */
export type DedupVerdict = 'new' | 'duplicate-delivery' | 'duplicate-job'

/** The records of what was published, with their retention. */
export interface DedupLedger {
  /** Where the records are; safe to log. */
  readonly location: string
  /** Creates its table; idempotent. */
  migrate(options?: QueueCallOptions): Promise<void>
  /** Whether a record younger than the retention exists for either key. Never writes. */
  check(keys: DedupKeys, options?: QueueCallOptions): Promise<DedupVerdict>
  /** Records both keys, once the broker confirmed the publish. */
  remember(keys: DedupKeys, options?: QueueCallOptions): Promise<void>
  /** Resolves when records can be read and written now. */
  checkWritable(options?: QueueCallOptions): Promise<void>
  close(): Promise<void>
}

/** The dedup keys of a request, as the ledger stores them. */
export function dedupKeysOf(request: {
  readonly deliveryId?: string | undefined
  readonly jobId?: number | undefined
  readonly action: string
}): DedupKeys {
  return {
    deliveryId: request.deliveryId,
    jobKey: request.jobId === undefined ? undefined : `${request.jobId}:${request.action}`,
  }
}

/**
 * A ledger in memory: for tests, and for embedders who accept that dedup forgets on restart.
 *
 * @example
 * const ledger = createMemoryDedupLedger({ retentionMs: 3_600_000 })
 */
export function createMemoryDedupLedger(options: {
  readonly retentionMs: number
  readonly clock?: () => number
}): DedupLedger {
  const clock = options.clock ?? Date.now
  const records = new Map<string, number>()
  const fresh = (key: string): boolean => {
    const at = records.get(key)
    return at !== undefined && at >= clock() - options.retentionMs
  }
  return {
    location: 'memory',
    migrate: () => Promise.resolve(),
    check(keys) {
      if (keys.deliveryId !== undefined && fresh(`delivery:${keys.deliveryId}`)) {
        return Promise.resolve('duplicate-delivery')
      }
      if (keys.jobKey !== undefined && fresh(`job:${keys.jobKey}`)) {
        return Promise.resolve('duplicate-job')
      }
      return Promise.resolve('new')
    },
    remember(keys) {
      const now = clock()
      if (keys.deliveryId !== undefined) records.set(`delivery:${keys.deliveryId}`, now)
      if (keys.jobKey !== undefined) records.set(`job:${keys.jobKey}`, now)
      return Promise.resolve()
    },
    checkWritable: () => Promise.resolve(),
    close: () => Promise.resolve(),
  }
}

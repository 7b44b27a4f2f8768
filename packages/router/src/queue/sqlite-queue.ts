/**
 * The SQLite queue adapter: kombu's SQLAlchemy transport layout on a local file, readable by
 * `kombu.Connection('sqla+sqlite:///<path>').SimpleQueue(flavour)`.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { randomUUID as cryptoRandomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import type { Clock } from '../ports.js'
import type {
  JobQueue,
  PublishOutcome,
  PublishRequest,
  QueueCallOptions,
  QueuedMessage,
} from './port.js'
import { DEFAULT_DEDUP_RETENTION_MS, QueueUnavailableError } from './port.js'
import { decodeKombuPayload, serialiseJob } from './kombu-envelope.js'
import { configureConnection, migrateSchema } from './sqlite-schema.js'
import type { SqliteSynchronous } from './sqlite-schema.js'
import type { Sleep } from './sqlite-busy.js'
import { SQLITE_BLOCKING_SLICE_MS, timerSleep, toQueueError, withBusyRetry } from './sqlite-busy.js'
import { createGroupCommitter } from './sqlite-group-commit.js'
import { createKombuPayloadBuilder } from './sqlite-kombu-template.js'
import { prepareStatements } from './sqlite-statements.js'
import { watchFileIdentity } from './sqlite-file-identity.js'
import type { FileIdentityWatch } from './sqlite-file-identity.js'
import type { Statements } from './sqlite-statements.js'
import type { Schedule } from './sqlite-group-commit.js'

/** Options of {@link createSqliteQueue}. */
export interface SqliteQueueOptions {
  /** The database file; its directory is created if missing. */
  readonly path: string
  /** Wall clock for dedup record ages. Default `Date.now`. */
  readonly clock?: Clock
  /** How long delivery-id and job-id records are kept. Default 3 days (GitHub's redelivery window). */
  readonly dedupRetentionMs?: number
  /**
   * How long one operation may wait for a database locked by another process before it rejects
   * with {@link QueueUnavailableError}. Default 1000 ms, well under the router's 5 s bound.
   */
  readonly busyTimeoutMs?: number
  /** Source of kombu delivery tags. Default `crypto.randomUUID`. */
  readonly randomUUID?: () => string
  /** Waits between lock retries. Default: a timer. Tests inject an instant one. */
  readonly sleep?: Sleep
  /**
   * SQLite's `synchronous` setting. Default `'FULL'`: `queued` survives power loss, at the cost
   * of one fsync per commit (a few ms, during which the event loop waits; publishes are grouped,
   * so that is one fsync per batch, not per job). `'NORMAL'` is faster but can lose the last
   * publishes on power loss (never on a process crash).
   */
  readonly synchronous?: SqliteSynchronous
  /**
   * When a batch of waiting publishes is committed. Default `setImmediate`, so every publish that
   * arrived in one turn of the event loop shares one transaction. Tests inject a manual one.
   */
  readonly schedule?: Schedule
}

export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 1000
/** The dedup key `checkWritable` writes and deletes; never a delivery or job key. */
const HEALTH_PROBE_KEY = 'probe:health'
/**
 * A {@link JobQueue} on an SQLite file in kombu's SQLAlchemy layout. Dedup records live in the
 * same file and are written in the same transaction as the message, so they survive restarts
 * and a crash can never keep one without the other.
 *
 * The database is opened (and its schema created) on first use; `migrate()` does that
 * explicitly. Lock waits are bounded by `busyTimeoutMs` and block the event loop for at most
 * {@link SQLITE_BLOCKING_SLICE_MS} at a time (see `sqlite-busy.ts`).
 *
 * @example
 * const queue = createSqliteQueue({ path: '/var/lib/webhook-router/queue.db' })
 * await queue.migrate()
 * await queue.publish({ flavour: 'large', job, deliveryId, jobId })
 */
export function createSqliteQueue(options: SqliteQueueOptions): JobQueue {
  const location = options.path === ':memory:' ? options.path : resolve(options.path)
  const clock = options.clock ?? Date.now
  const retentionMs = options.dedupRetentionMs ?? DEFAULT_DEDUP_RETENTION_MS
  const budgetMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS
  const newTag = options.randomUUID ?? cryptoRandomUUID
  const sleep = options.sleep ?? timerSleep
  let connection:
    { db: Database.Database; statements: Statements; file: FileIdentityWatch } | undefined
  let closed = false
  // Set by the first close(): no new publishes, and every later close() waits for the same drain.
  let closing: Promise<void> | undefined

  // The open connection, checked against the path: a file deleted or replaced under it is
  // never written to again (see sqlite-file-identity.ts).
  function open() {
    const current = connect()
    current.file.verify()
    return current
  }

  function connect() {
    if (closed) throw new QueueUnavailableError(`SQLite queue at ${location} is closed`)
    if (connection) return connection
    let db: Database.Database
    try {
      if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true })
      db = new Database(location, { timeout: Math.min(SQLITE_BLOCKING_SLICE_MS, budgetMs) })
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw new QueueUnavailableError(`cannot open SQLite queue at ${location}: ${reason}`, {
        cause: error,
      })
    }
    try {
      configureConnection(db, options.synchronous ?? 'FULL')
      migrateSchema(db)
      // Taken after the schema read, so the WAL file this connection uses exists.
      const file = watchFileIdentity(location)
      connection = { db, statements: prepareStatements(db), file }
      return connection
    } catch (error) {
      // Reopened on the next call, e.g. once another process releases its lock.
      db.close()
      throw error
    }
  }

  function run<T>(what: string, work: () => T, callOptions?: QueueCallOptions): Promise<T> {
    return withBusyRetry(what, work, { budgetMs, sleep, signal: callOptions?.signal })
  }

  const buildPayload = createKombuPayloadBuilder()

  // Built before the batch, so the transaction holds the write lock only for the writes.
  interface PreparedPublish {
    readonly flavour: string
    readonly payload: string
    readonly deliveryKey: string | undefined
    readonly jobKey: string | undefined
  }

  function prepare(request: PublishRequest): PreparedPublish {
    return {
      flavour: request.flavour,
      payload: buildPayload(request.flavour, serialiseJob(request.job), newTag()),
      deliveryKey: request.deliveryId === undefined ? undefined : `delivery:${request.deliveryId}`,
      jobKey: request.jobId === undefined ? undefined : `job:${request.jobId}`,
    }
  }

  // One transaction for the whole batch; a later item sees the dedup rows of earlier ones, so
  // two publishes of one delivery or job in a batch make the second a duplicate.
  function commitBatch(batch: readonly PreparedPublish[]): PublishOutcome[] {
    const { db, statements, file } = connect()
    file.throwIfLost()
    const now = clock()
    const cutoff = now - retentionMs
    const publishOne = (item: PreparedPublish): PublishOutcome => {
      const { deliveryKey, jobKey } = item
      if (deliveryKey !== undefined && statements.seen.get(deliveryKey, cutoff) !== undefined) {
        return 'duplicate-delivery'
      }
      if (deliveryKey !== undefined) statements.remember.run(deliveryKey, 'delivery', now)
      if (jobKey !== undefined && statements.seen.get(jobKey, cutoff) !== undefined) {
        return 'duplicate-job'
      }
      if (jobKey !== undefined) statements.remember.run(jobKey, 'job', now)
      statements.createQueue.run(item.flavour)
      const queueId = statements.queueId.get(item.flavour)
      statements.insertMessage.run(item.payload, queueId)
      return 'queued'
    }
    const outcomes = db
      .transaction((): PublishOutcome[] => {
        // Pruning once per batch, not per job, keeps it off the per-webhook cost under load.
        statements.prune.run(cutoff)
        statements.pruneConsumed.run()
        return batch.map(publishOne)
      })
      .immediate()
    // Checked after the commit, so a file removed at any moment before it is caught: the jobs
    // went to a file nobody can read, and their callers get an error instead of `queued`.
    file.verify()
    return outcomes
  }

  const publishes = createGroupCommitter({
    commit: commitBatch,
    what: `cannot publish to SQLite queue at ${location}`,
    budgetMs,
    sleep,
    schedule: options.schedule,
  })

  return {
    kind: 'sqlite',
    location,

    async migrate(callOptions) {
      await run(`cannot migrate SQLite queue at ${location}`, open, callOptions)
    },

    publish(request, callOptions) {
      if (closing !== undefined) {
        return Promise.reject(new QueueUnavailableError(`SQLite queue at ${location} is closed`))
      }
      let prepared: PreparedPublish
      try {
        prepared = prepare(request)
      } catch (error) {
        return Promise.reject(error)
      }
      return publishes.submit(prepared, callOptions?.signal)
    },

    async checkWritable(callOptions) {
      await run(
        `SQLite queue at ${location} is not writable`,
        () => {
          // A real write, committed like a publish (then undone in the same transaction): a
          // read-only file, a full disk or a lock fail here exactly as a publish would.
          const { db, statements, file } = open()
          db.transaction(() => {
            statements.remember.run(HEALTH_PROBE_KEY, 'probe', clock())
            statements.forget.run(HEALTH_PROBE_KEY)
          }).immediate()
          file.verify()
        },
        callOptions,
      )
    },

    depth(callOptions) {
      return run(
        `cannot read SQLite queue at ${location}`,
        () => {
          const rows = open().statements.depth.all() as { name: string; waiting: number }[]
          return Object.fromEntries(rows.map((row) => [row.name, row.waiting]))
        },
        callOptions,
      )
    },

    peek(flavour, limit, callOptions) {
      const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0
      return run(
        `cannot read SQLite queue at ${location}`,
        (): QueuedMessage[] => {
          const rows = open().statements.peek.all(flavour, count) as {
            id: number
            payload: string
          }[]
          return rows.map((row) => ({
            id: String(row.id),
            flavour,
            body: decodeKombuPayload(row.payload) ?? row.payload,
          }))
        },
        callOptions,
      )
    },

    async close() {
      // Publishes already accepted are committed (or fail) before the file is closed.
      closing ??= publishes.drain()
      await closing
      closed = true
      const current = connection
      connection = undefined
      if (current === undefined) return
      try {
        current.db.close()
      } catch (error) {
        throw toQueueError(error, `cannot close SQLite queue at ${location}`)
      }
    },
  }
}

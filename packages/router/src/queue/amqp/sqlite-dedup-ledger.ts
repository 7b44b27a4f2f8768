import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { Statement } from 'better-sqlite3'
import { QueueUnavailableError } from '../port.js'
import type { DedupKeys, DedupLedger, DedupVerdict } from './dedup-ledger.js'

export interface SqliteDedupLedgerOptions {
  /** The ledger's own file; keep it apart from the kombu queue file so the two never contend. */
  readonly path: string
  readonly retentionMs: number
  readonly clock?: () => number
}

/** Expired records deleted per write, so a backlog after downtime is pruned gradually. */
const PRUNE_BATCH = 500
/** The record `checkWritable` writes and deletes; no delivery or job key looks like it. */
const HEALTH_PROBE_KEY = 'probe:health'
/** A ledger is one process's file; a short wait covers a `migrate` run beside `serve`. */
const BUSY_TIMEOUT_MS = 200

/**
 * The dedup ledger in a local SQLite file, for the AMQP stream. `synchronous=NORMAL`: a record
 * lost to a power cut only lets one redelivery through twice, never loses a message.
 *
 * @example
 * const ledger = createSqliteDedupLedger({ path: './.data/stream-dedup.sqlite', retentionMs })
 * await ledger.migrate()
 */
export function createSqliteDedupLedger(options: SqliteDedupLedgerOptions): DedupLedger {
  const path = resolve(options.path)
  const clock = options.clock ?? Date.now
  let db: Database.Database | undefined
  let statements:
    { seen: Statement; remember: Statement; forget: Statement; prune: Statement } | undefined
  // Records of one event-loop turn share one transaction: a commit per publish cost more CPU
  // than the publish itself. `check` sees them before they are committed.
  let pending = new Map<string, number>()
  let flushing:
    { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined

  function flush(): void {
    const batch = pending
    const waiting = flushing
    pending = new Map()
    flushing = undefined
    try {
      const s = open()
      const now = clock()
      db?.transaction(() => {
        for (const [key, at] of batch) s.remember.run(key, at)
        s.prune.run(now - options.retentionMs)
      })()
      waiting?.resolve()
    } catch (error) {
      waiting?.reject(error instanceof QueueUnavailableError ? error : unavailable(error))
    }
  }

  function open() {
    if (statements) return statements
    try {
      mkdirSync(dirname(path), { recursive: true })
      db = new Database(path, { timeout: BUSY_TIMEOUT_MS })
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.exec(`CREATE TABLE IF NOT EXISTS webhook_router_stream_dedup (
	key TEXT NOT NULL PRIMARY KEY, 
	created_at INTEGER NOT NULL
)`)
      db.exec(
        'CREATE INDEX IF NOT EXISTS ix_webhook_router_stream_dedup_created_at ON webhook_router_stream_dedup (created_at)',
      )
      statements = {
        seen: db
          .prepare('SELECT 1 FROM webhook_router_stream_dedup WHERE key = ? AND created_at >= ?')
          .pluck(),
        remember: db.prepare(
          `INSERT INTO webhook_router_stream_dedup (key, created_at) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at`,
        ),
        forget: db.prepare('DELETE FROM webhook_router_stream_dedup WHERE key = ?'),
        prune: db.prepare(
          `DELETE FROM webhook_router_stream_dedup WHERE key IN (SELECT key FROM
           webhook_router_stream_dedup WHERE created_at < ? LIMIT ${PRUNE_BATCH})`,
        ),
      }
      return statements
    } catch (error) {
      db?.close()
      db = undefined
      throw unavailable(error)
    }
  }

  function run<T>(work: (s: NonNullable<typeof statements>) => T): Promise<T> {
    try {
      return Promise.resolve(work(open()))
    } catch (error) {
      return Promise.reject(error instanceof QueueUnavailableError ? error : unavailable(error))
    }
  }

  return {
    location: path,
    migrate: () => run(() => undefined),
    check: (keys: DedupKeys) =>
      run((s): DedupVerdict => {
        const since = clock() - options.retentionMs
        const seen = (key: string) =>
          (pending.get(key) ?? -Infinity) >= since || s.seen.get(key, since)
        if (keys.deliveryId !== undefined && seen(`delivery:${keys.deliveryId}`)) {
          return 'duplicate-delivery'
        }
        if (keys.jobKey !== undefined && seen(`job:${keys.jobKey}`)) return 'duplicate-job'
        return 'new'
      }),
    remember(keys: DedupKeys) {
      const now = clock()
      if (keys.deliveryId !== undefined) pending.set(`delivery:${keys.deliveryId}`, now)
      if (keys.jobKey !== undefined) pending.set(`job:${keys.jobKey}`, now)
      if (flushing === undefined) {
        let resolve!: () => void
        let reject!: (e: unknown) => void
        const promise = new Promise<void>((yes, no) => {
          resolve = yes
          reject = no
        })
        flushing = { promise, resolve, reject }
        setImmediate(flush)
      }
      return flushing.promise
    },
    checkWritable: () =>
      run((s) => {
        // A real write, undone in the same transaction: a lock, a read-only file or a full disk
        // fail here as a publish's record would.
        db?.transaction(() => {
          s.remember.run(HEALTH_PROBE_KEY, clock())
          s.forget.run(HEALTH_PROBE_KEY)
        }).immediate()
      }),
    close() {
      if (flushing !== undefined) flush()
      db?.close()
      db = undefined
      statements = undefined
      return Promise.resolve()
    },
  }

  function unavailable(error: unknown): QueueUnavailableError {
    const reason = error instanceof Error ? error.message : String(error)
    return new QueueUnavailableError(`dedup ledger at ${path}: ${reason}`, { cause: error })
  }
}

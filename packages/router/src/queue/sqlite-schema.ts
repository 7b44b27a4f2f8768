/**
 * The SQLite schema: kombu's SQLAlchemy transport tables, spelled exactly as SQLAlchemy's
 * `metadata.create_all` emits them for SQLite (so kombu's own `create_all` finds them by name
 * and skips them), plus one table of our own for dedup records.
 *
 * @module
 */
import type { Database } from 'better-sqlite3'

/** Bumped when our own tables change; kept in `PRAGMA user_version`, which kombu never touches. */
export const SQLITE_SCHEMA_VERSION = 1

const KOMBU_TABLES = [
  `CREATE TABLE IF NOT EXISTS kombu_queue (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	name VARCHAR(200), 
	UNIQUE (name)
)`,
  `CREATE TABLE IF NOT EXISTS kombu_message (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	visible BOOLEAN, 
	timestamp DATETIME, 
	payload TEXT NOT NULL, 
	version SMALLINT NOT NULL, 
	queue_id INTEGER, 
	CONSTRAINT "FK_kombu_message_queue" FOREIGN KEY(queue_id) REFERENCES kombu_queue (id)
)`,
  'CREATE INDEX IF NOT EXISTS ix_kombu_message_timestamp_id ON kombu_message (timestamp, id)',
  'CREATE INDEX IF NOT EXISTS ix_kombu_message_visible ON kombu_message (visible)',
  'CREATE INDEX IF NOT EXISTS ix_kombu_message_timestamp ON kombu_message (timestamp)',
]

const DEDUP_TABLES = [
  // key is 'delivery:<X-GitHub-Delivery>' or 'job:<workflow_job.id>'; created_at in epoch ms.
  `CREATE TABLE IF NOT EXISTS webhook_router_dedup (
	key TEXT NOT NULL PRIMARY KEY, 
	kind TEXT NOT NULL, 
	created_at INTEGER NOT NULL
)`,
  'CREATE INDEX IF NOT EXISTS ix_webhook_router_dedup_created_at ON webhook_router_dedup (created_at)',
]

/** `FULL` survives power loss; `NORMAL` survives process crashes only (WAL mode). */
export type SqliteSynchronous = 'FULL' | 'NORMAL'

/**
 * Sets the connection pragmas every adapter connection needs. WAL lets kombu consumers read
 * while we write. `synchronous=FULL` makes a committed publish survive power loss, which is
 * what `queued` promises; NORMAL skips the fsync per commit, so the last commits can be lost on
 * power loss (never on a process crash).
 */
export function configureConnection(db: Database, synchronous: SqliteSynchronous): void {
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`)
  db.pragma('foreign_keys = ON')
}

/** Creates the tables and indexes that are missing, in one transaction. Idempotent. */
export function migrateSchema(db: Database): void {
  const version = Number(db.pragma('user_version', { simple: true }))
  const tablesPresent = db
    .prepare(
      `SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'index') AND name IN
       ('kombu_queue', 'kombu_message', 'webhook_router_dedup', 'ix_kombu_message_timestamp_id',
        'ix_kombu_message_visible', 'ix_kombu_message_timestamp',
        'ix_webhook_router_dedup_created_at')`,
    )
    .pluck()
    .get()
  // Skipping the write transaction when nothing is missing lets a reopen succeed while another
  // process holds the write lock.
  if (version >= SQLITE_SCHEMA_VERSION && tablesPresent === 7) return
  db.transaction(() => {
    for (const statement of [...KOMBU_TABLES, ...DEDUP_TABLES]) db.exec(statement)
    // Never lower the version a newer router release may have written.
    if (version < SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`)
  }).immediate()
}

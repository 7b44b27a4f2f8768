/**
 * The SQL the SQLite queue adapter runs, prepared once per connection.
 *
 * @module
 */
import type { Database, Statement } from 'better-sqlite3'

/** Expired dedup rows deleted per batch, so a backlog after downtime is pruned gradually. */
const PRUNE_BATCH = 500

/**
 * kombu's consumer marks a fetched row invisible and never deletes it, so the file would grow
 * forever. An invisible row is dead once the consumer's transaction committed (a requeue inserts
 * a new row), so each batch of publishes deletes some of them.
 */
const CONSUMED_PRUNE_BATCH = 100

/** The adapter's statements, prepared once per connection. */
export interface Statements {
  readonly prune: Statement
  readonly pruneConsumed: Statement
  readonly seen: Statement
  readonly remember: Statement
  readonly forget: Statement
  readonly createQueue: Statement
  readonly queueId: Statement
  readonly insertMessage: Statement
  readonly depth: Statement
  readonly peek: Statement
}

/** Prepares every statement the SQLite adapter runs. */
export function prepareStatements(db: Database): Statements {
  return {
    prune: db.prepare(
      `DELETE FROM webhook_router_dedup WHERE key IN
       (SELECT key FROM webhook_router_dedup WHERE created_at < ? LIMIT ${PRUNE_BATCH})`,
    ),
    pruneConsumed: db.prepare(
      `DELETE FROM kombu_message WHERE id IN
       (SELECT id FROM kombu_message WHERE visible = 0 LIMIT ${CONSUMED_PRUNE_BATCH})`,
    ),
    seen: db
      .prepare('SELECT 1 FROM webhook_router_dedup WHERE key = ? AND created_at >= ?')
      .pluck(),
    remember: db.prepare(
      `INSERT INTO webhook_router_dedup (key, kind, created_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, created_at = excluded.created_at`,
    ),
    forget: db.prepare('DELETE FROM webhook_router_dedup WHERE key = ?'),
    createQueue: db.prepare(
      'INSERT INTO kombu_queue (name) VALUES (?) ON CONFLICT (name) DO NOTHING',
    ),
    queueId: db.prepare('SELECT id FROM kombu_queue WHERE name = ?').pluck(),
    insertMessage: db.prepare(
      `INSERT INTO kombu_message (visible, timestamp, payload, version, queue_id)
       VALUES (1, NULL, ?, 1, ?)`,
    ),
    depth: db.prepare(
      `SELECT q.name AS name, count(m.id) AS waiting FROM kombu_queue q
       LEFT JOIN kombu_message m ON m.queue_id = q.id AND m.visible != 0
       GROUP BY q.name ORDER BY q.name`,
    ),
    // kombu's consumer takes the oldest visible row by (timestamp, id); NULL timestamps first.
    peek: db.prepare(
      `SELECT m.id AS id, m.payload AS payload FROM kombu_message m
       JOIN kombu_queue q ON q.id = m.queue_id
       WHERE q.name = ? AND m.visible != 0 ORDER BY m.timestamp, m.id LIMIT ?`,
    ),
  }
}

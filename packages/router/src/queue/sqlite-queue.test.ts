import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'
import type { JobQueue } from './port.js'
import { buildKombuPayload, serialiseJob } from './kombu-envelope.js'
import { createSqliteQueue } from './sqlite-queue.js'
import type { SqliteQueueOptions } from './sqlite-queue.js'
import { publishRequest as request, sampleQueuedJob as job } from '../testing/publish-request.js'

let dir: string
let path: string
const opened: JobQueue[] = []
const peers: Database.Database[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-queue-'))
  path = join(dir, 'queue.db')
})
afterEach(async () => {
  for (const queue of opened.splice(0)) await queue.close()
  for (const db of peers.splice(0)) db.close()
  rmSync(dir, { recursive: true, force: true })
})

let tags = 0
function open(options: Partial<SqliteQueueOptions> = {}): JobQueue {
  const queue = createSqliteQueue({
    path,
    randomUUID: () => `tag-${++tags}`,
    sleep: async () => {},
    ...options,
  })
  opened.push(queue)
  return queue
}
function peer(): Database.Database {
  const db = new Database(path, { timeout: 0 })
  peers.push(db)
  return db
}
const rows = (sql: string) => peer().prepare(sql).all()

describe('createSqliteQueue migrate', () => {
  it('creates kombu_queue, kombu_message with its named indexes and FK, and the dedup table', async () => {
    await open().migrate()
    const names = rows(
      "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    expect(names).toEqual([
      { type: 'index', name: 'ix_kombu_message_timestamp' },
      { type: 'index', name: 'ix_kombu_message_timestamp_id' },
      { type: 'index', name: 'ix_kombu_message_visible' },
      { type: 'index', name: 'ix_webhook_router_dedup_created_at' },
      { type: 'table', name: 'kombu_message' },
      { type: 'table', name: 'kombu_queue' },
      { type: 'table', name: 'webhook_router_dedup' },
    ])
    const [message] = rows("SELECT sql FROM sqlite_master WHERE name = 'kombu_message'")
    expect(message).toMatchObject({
      sql: expect.stringContaining('CONSTRAINT "FK_kombu_message_queue" FOREIGN KEY(queue_id)'),
    })
  })

  it('puts the database in WAL mode', async () => {
    await open().migrate()
    expect(peer().pragma('journal_mode', { simple: true })).toBe('wal')
  })

  it('is idempotent and keeps existing messages', async () => {
    const queue = open()
    await queue.migrate()
    await queue.publish(request())
    await queue.close()
    const again = open()
    await again.migrate()
    await again.migrate()
    expect(await again.depth()).toEqual({ large: 1 })
  })

  it('creates the directory of the path when it is missing', async () => {
    path = join(dir, 'nested', 'deeper', 'queue.db')
    await open().migrate()
    expect(rows('SELECT name FROM kombu_queue')).toEqual([])
  })

  it('rejects an unusable path with a one-line QueueUnavailableError', async () => {
    writeFileSync(join(dir, 'file'), '')
    path = join(dir, 'file', 'queue.db')
    const failure = open().migrate()
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(failure).rejects.toThrow(/^cannot open SQLite queue at .*file\/queue\.db: [^\n]+$/)
  })
})

describe('createSqliteQueue on a file that is not a database', () => {
  it('rejects every call with a one-line QueueUnavailableError and leaves the file alone', async () => {
    writeFileSync(path, 'this is not sqlite, but it is long enough to have a header'.repeat(4))
    const queue = open()
    const failure = queue.publish(request())
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(failure).rejects.toThrow(
      /^cannot publish .*: file is not a database \(SQLITE_NOTADB\)$/,
    )
    await expect(queue.depth()).rejects.toBeInstanceOf(QueueUnavailableError)
    expect(readFileSync(path, 'utf8')).toMatch(/^this is not sqlite/)
  })
})

describe('createSqliteQueue publish', () => {
  it('stores the exact kombu row: visible, no timestamp, version 1, the envelope as payload', async () => {
    const queue = open({ randomUUID: () => 'fixed-tag' })
    expect(await queue.publish(request())).toBe('queued')
    expect(rows('SELECT id, name FROM kombu_queue')).toEqual([{ id: 1, name: 'large' }])
    expect(rows('SELECT * FROM kombu_message')).toEqual([
      {
        id: 1,
        visible: 1,
        timestamp: null,
        payload: buildKombuPayload('large', serialiseJob(job), 'fixed-tag'),
        version: 1,
        queue_id: 1,
      },
    ])
  })

  it('reuses the queue row of a flavour and adds one per new flavour', async () => {
    const queue = open()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await queue.publish(request({ flavour: 'small', deliveryId: 'c', jobId: 3 }))
    expect(rows('SELECT name FROM kombu_queue ORDER BY id')).toEqual([
      { name: 'large' },
      { name: 'small' },
    ])
  })

  it('answers duplicate-delivery for a delivery id it has seen and stores nothing', async () => {
    const queue = open()
    await queue.publish(request())
    expect(await queue.publish(request({ jobId: 2 }))).toBe('duplicate-delivery')
    expect(await queue.depth()).toEqual({ large: 1 })
  })

  it('answers duplicate-job for a job already queued under another delivery id', async () => {
    const queue = open()
    await queue.publish(request())
    expect(await queue.publish(request({ deliveryId: 'd-2' }))).toBe('duplicate-job')
    expect(await queue.depth()).toEqual({ large: 1 })
  })

  it('records the delivery id of a duplicate job so its redelivery is a duplicate delivery', async () => {
    const queue = open()
    await queue.publish(request())
    await queue.publish(request({ deliveryId: 'd-2' }))
    expect(await queue.publish(request({ deliveryId: 'd-2', jobId: 99 }))).toBe(
      'duplicate-delivery',
    )
  })

  it('queues every request that carries no delivery or job id', async () => {
    const queue = open()
    const bare = request({ deliveryId: undefined, jobId: undefined })
    expect([await queue.publish(bare), await queue.publish(bare)]).toEqual(['queued', 'queued'])
  })

  it('forgets dedup records older than the retention and prunes them', async () => {
    let now = 1_000_000
    const queue = open({ clock: () => now, dedupRetentionMs: 60_000 })
    await queue.publish(request())
    now += 60_001
    expect(await queue.publish(request({ deliveryId: 'other', jobId: 7 }))).toBe('queued')
    expect(rows('SELECT key FROM webhook_router_dedup ORDER BY key')).toEqual([
      { key: 'delivery:other' },
      { key: 'job:7' },
    ])
    expect(await queue.publish(request())).toBe('queued')
  })

  it('keeps dedup records that are exactly as old as the retention', async () => {
    let now = 1_000_000
    const queue = open({ clock: () => now, dedupRetentionMs: 60_000 })
    await queue.publish(request())
    now += 60_000
    expect(await queue.publish(request())).toBe('duplicate-delivery')
  })

  it('keeps neither message nor dedup records when the message insert fails', async () => {
    const queue = open()
    await queue.migrate()
    peer().exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON kombu_message BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
    expect(rows('SELECT * FROM webhook_router_dedup')).toEqual([])
    peer().exec('DROP TRIGGER refuse')
    expect(await queue.publish(request())).toBe('queued')
  })

  it('deletes rows a kombu consumer has already taken, keeping waiting ones', async () => {
    const queue = open()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    peer().exec('UPDATE kombu_message SET visible = 0, version = 2 WHERE id = 1')
    await queue.publish(request({ deliveryId: 'c', jobId: 3 }))
    expect(rows('SELECT id, visible FROM kombu_message ORDER BY id')).toEqual([
      { id: 2, visible: 1 },
      { id: 3, visible: 1 },
    ])
  })

  it('rejects with QueueUnavailableError once closed, and close can be called twice', async () => {
    const queue = open()
    await queue.publish(request())
    await queue.close()
    await queue.close()
    await expect(queue.publish(request({ deliveryId: 'x' }))).rejects.toThrow(/is closed/)
  })

  it('rejects without waiting when the signal is already aborted', async () => {
    const queue = open()
    const failure = queue.publish(request(), { signal: AbortSignal.abort() })
    await expect(failure).rejects.toThrow(/aborted/)
    expect(await queue.depth()).toEqual({})
  })
})

describe('createSqliteQueue reads', () => {
  it('counts only visible messages per flavour, listing known flavours with none waiting', async () => {
    const queue = open()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await queue.publish(request({ flavour: 'small', deliveryId: 'c', jobId: 3 }))
    // What kombu's consumer does on get(): the row stays, invisible.
    peer().exec("UPDATE kombu_message SET visible = 0, timestamp = '2026-01-01 00:00:00.000000'")
    await queue.publish(request({ deliveryId: 'd', jobId: 4 }))
    expect(await queue.depth()).toEqual({ large: 1, small: 0 })
  })

  it('peeks the oldest visible messages first, up to the limit, with the job JSON as body', async () => {
    const queue = open()
    for (const id of [1, 2, 3]) {
      const url = `https://api.github.com/repos/o/r/actions/jobs/${id}`
      await queue.publish(request({ deliveryId: `d${id}`, jobId: id, job: { ...job, url } }))
    }
    const peeked = await queue.peek('large', 2)
    expect(peeked).toEqual([
      { id: '1', flavour: 'large', body: expect.stringContaining('/jobs/1"') },
      { id: '2', flavour: 'large', body: expect.stringContaining('/jobs/2"') },
    ])
    expect(peeked[0]?.body).toBe(serialiseJob({ ...job, url: `${job.url.slice(0, -1)}1` }))
  })

  it('changes nothing when peeking', async () => {
    const queue = open()
    await queue.publish(request())
    const before = rows('SELECT * FROM kombu_message')
    await queue.peek('large', 10)
    expect(rows('SELECT * FROM kombu_message')).toEqual(before)
  })

  it('peeks nothing for an unknown flavour or a limit below one', async () => {
    const queue = open()
    await queue.publish(request())
    expect(await queue.peek('nope', 5)).toEqual([])
    expect(await queue.peek('large', 0)).toEqual([])
    expect(await queue.peek('large', Number.NaN)).toEqual([])
  })

  it('shows a stored payload it cannot decode as it is', async () => {
    const queue = open()
    await queue.publish(request())
    peer().exec("UPDATE kombu_message SET payload = 'garbage'")
    expect(await queue.peek('large', 1)).toEqual([{ id: '1', flavour: 'large', body: 'garbage' }])
  })
})

describe('createSqliteQueue durability and outages', () => {
  it('keeps messages and dedup records across close and reopen', async () => {
    const first = open()
    await first.publish(request())
    await first.close()
    const second = open()
    expect(await second.peek('large', 10)).toEqual([
      { id: '1', flavour: 'large', body: serialiseJob(job) },
    ])
    expect(await second.publish(request())).toBe('duplicate-delivery')
    expect(await second.publish(request({ deliveryId: 'new' }))).toBe('duplicate-job')
  })

  it('rejects publish with QueueUnavailableError while another connection holds BEGIN EXCLUSIVE', async () => {
    const queue = open({ busyTimeoutMs: 200 })
    await queue.migrate()
    const holder = peer()
    holder.exec('BEGIN EXCLUSIVE')
    const failure = queue.publish(request())
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(failure).rejects.toThrow(/locked by another connection \(gave up after 200 ms\)/)
    holder.exec('ROLLBACK')
    expect(await queue.publish(request())).toBe('queued')
  })

  it('keeps the total wait of a locked publish within busyTimeoutMs', async () => {
    const waits: number[] = []
    const queue = open({ busyTimeoutMs: 300, sleep: async (ms) => void waits.push(ms) })
    await queue.migrate()
    peer().exec('BEGIN EXCLUSIVE')
    await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
    expect(waits.length).toBeGreaterThan(1)
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(300)
  })

  it('opens a migrated database even while another connection holds the write lock', async () => {
    await open().migrate()
    peer().exec('BEGIN EXCLUSIVE')
    expect(await open().depth()).toEqual({})
  })

  it('reports writable normally and unavailable while locked', async () => {
    const queue = open({ busyTimeoutMs: 100 })
    await expect(queue.checkWritable()).resolves.toBeUndefined()
    const holder = peer()
    holder.exec('BEGIN EXCLUSIVE')
    await expect(queue.checkWritable()).rejects.toThrow(/is not writable: database is locked/)
    holder.exec('ROLLBACK')
    await expect(queue.checkWritable()).resolves.toBeUndefined()
  })
})

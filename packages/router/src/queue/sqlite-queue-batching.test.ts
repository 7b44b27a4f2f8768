import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'
import type { JobQueue } from './port.js'
import { createSqliteQueue } from './sqlite-queue.js'
import type { SqliteQueueOptions } from './sqlite-queue.js'
import { publishRequest as request } from '../testing/publish-request.js'

let dir: string
let path: string
let queued: (() => void)[]
const opened: JobQueue[] = []
const peers: Database.Database[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-batch-'))
  path = join(dir, 'queue.db')
  queued = []
})
afterEach(async () => {
  for (const queue of opened.splice(0)) await queue.close()
  for (const db of peers.splice(0)) db.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the scheduled flushes by hand, so a test decides exactly what shares a batch. */
const flush = () => {
  for (const run of queued.splice(0)) run()
}

function open(options: Partial<SqliteQueueOptions> = {}): JobQueue {
  const queue = createSqliteQueue({
    path,
    sleep: async () => {},
    schedule: (run) => void queued.push(run),
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

describe('createSqliteQueue group commit', () => {
  it('commits the publishes of one tick in a single transaction', async () => {
    const queue = open()
    await queue.migrate()
    const watcher = peer()
    const before = Number(watcher.pragma('data_version', { simple: true }))
    const results = Promise.all(
      [1, 2, 3].map((id) => queue.publish(request({ deliveryId: `d${id}`, jobId: id }))),
    )
    flush()
    expect(await results).toEqual(['queued', 'queued', 'queued'])
    // data_version moves once per commit made by another connection.
    expect(watcher.pragma('data_version', { simple: true })).toBe(before + 1)
    expect(await queue.depth()).toEqual({ large: 3 })
  })

  it('answers the second of two publishes of one delivery in a batch as a duplicate', async () => {
    const queue = open()
    const results = Promise.all([queue.publish(request()), queue.publish(request({ jobId: 2 }))])
    flush()
    expect(await results).toEqual(['queued', 'duplicate-delivery'])
    expect(await queue.depth()).toEqual({ large: 1 })
  })

  it('answers the second of two publishes of one job in a batch as a duplicate job', async () => {
    const queue = open()
    const results = Promise.all([
      queue.publish(request()),
      queue.publish(request({ deliveryId: 'd-2' })),
    ])
    flush()
    expect(await results).toEqual(['queued', 'duplicate-job'])
  })

  it('fails only the publish the store refuses and keeps the rest of its batch', async () => {
    const queue = open()
    await queue.migrate()
    peer().exec(`CREATE TRIGGER refuse BEFORE INSERT ON kombu_message
      WHEN NEW.queue_id = (SELECT id FROM kombu_queue WHERE name = 'bad')
      BEGIN SELECT RAISE(ABORT, 'refused'); END`)
    const results = [
      queue.publish(request({ deliveryId: 'a', jobId: 1 })),
      queue.publish(request({ flavour: 'bad', deliveryId: 'b', jobId: 2 })),
      queue.publish(request({ deliveryId: 'c', jobId: 3 })),
    ]
    flush()
    const outcomes = await Promise.allSettled(results)
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ])
    await expect(results[1]).rejects.toThrow(/^cannot publish to SQLite queue at .*: refused/)
    expect(await queue.depth()).toEqual({ large: 2 })
    // The refused publish left no dedup record, so its redelivery is queued once it can be.
    peer().exec('DROP TRIGGER refuse')
    const retry = queue.publish(request({ flavour: 'bad', deliveryId: 'b', jobId: 2 }))
    flush()
    expect(await retry).toBe('queued')
  })

  it('rejects every publish of a batch with QueueUnavailableError while the file is locked', async () => {
    const waits: number[] = []
    const queue = open({ busyTimeoutMs: 200, sleep: async (ms) => void waits.push(ms) })
    await queue.migrate()
    const holder = peer()
    holder.exec('BEGIN EXCLUSIVE')
    const results = [
      queue.publish(request()),
      queue.publish(request({ deliveryId: 'x', jobId: 2 })),
    ]
    flush()
    for (const result of results) {
      await expect(result).rejects.toBeInstanceOf(QueueUnavailableError)
      await expect(result).rejects.toThrow(/locked by another connection \(gave up after 200 ms\)/)
    }
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(200)
    holder.exec('ROLLBACK')
    expect(await queue.depth()).toEqual({})
  })

  it('still queues to a flavour whose queue row was deleted behind its back', async () => {
    const queue = open()
    const first = queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    flush()
    expect(await first).toBe('queued')
    peer().exec('DELETE FROM kombu_message; DELETE FROM kombu_queue')
    const second = queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    flush()
    expect(await second).toBe('queued')
    expect(await queue.depth()).toEqual({ large: 1 })
  })

  it('never writes a publish whose caller aborted before its batch committed', async () => {
    const queue = open()
    const controller = new AbortController()
    const dropped = queue.publish(request(), { signal: controller.signal })
    const kept = queue.publish(request({ deliveryId: 'd-2', jobId: 2 }))
    controller.abort(new Error('deadline'))
    await expect(dropped).rejects.toThrow(/aborted while waiting for the database/)
    flush()
    expect(await kept).toBe('queued')
    // Nothing of the aborted publish was recorded, so GitHub's redelivery of it is queued.
    const redelivery = queue.publish(request())
    flush()
    expect(await redelivery).toBe('queued')
  })

  it('commits publishes still waiting for their batch when closed, then refuses new ones', async () => {
    const queue = open()
    const results = Promise.all([
      queue.publish(request({ deliveryId: 'a', jobId: 1 })),
      queue.publish(request({ deliveryId: 'b', jobId: 2 })),
    ])
    const closing = queue.close()
    await expect(queue.publish(request({ deliveryId: 'c', jobId: 3 }))).rejects.toThrow(/is closed/)
    await closing
    expect(await results).toEqual(['queued', 'queued'])
    expect(peer().prepare('SELECT count(*) FROM kombu_message').pluck().get()).toBe(2)
  })
})

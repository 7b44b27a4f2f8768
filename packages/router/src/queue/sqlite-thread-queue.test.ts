import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'
import type { JobQueue } from './port.js'
import { decodeKombuPayload } from './kombu-envelope.js'
import { createSqliteThreadQueue } from './sqlite-thread-queue.js'
import type { SqliteThreadQueueOptions } from './sqlite-thread-queue.js'
import { publishRequest as request } from '../testing/publish-request.js'

let dir: string
let path: string
const opened: JobQueue[] = []
const peers: Database.Database[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-thread-'))
  path = join(dir, 'queue.db')
})
afterEach(async () => {
  for (const queue of opened.splice(0)) await queue.close().catch(() => undefined)
  for (const db of peers.splice(0)) db.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(options: Partial<SqliteThreadQueueOptions> = {}): JobQueue {
  const queue = createSqliteThreadQueue({ path, ...options })
  opened.push(queue)
  return queue
}
function peer(): Database.Database {
  const db = new Database(path, { timeout: 0 })
  peers.push(db)
  return db
}
/** The job bodies kombu would hand out for one flavour, oldest first, read by another connection. */
function storedBodies(flavour: string): string[] {
  const rows = peer()
    .prepare(
      `SELECT m.payload AS payload FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id
       WHERE q.name = ? ORDER BY m.id`,
    )
    .all(flavour) as { payload: string }[]
  return rows.map((row) => decodeKombuPayload(row.payload) ?? row.payload)
}
const jobUrl = (id: number) => `https://api.github.com/repos/o/r/actions/jobs/${id}`
const numbered = (id: number, flavour = 'large') =>
  request({
    flavour,
    deliveryId: `d-${id}`,
    jobId: id,
    job: { labels: [flavour], status: 'queued', url: jobUrl(id) },
  })

describe('createSqliteThreadQueue', () => {
  it('commits a publish to the file before it resolves', async () => {
    const queue = open()
    expect(await queue.publish(numbered(1))).toBe('queued')
    expect(storedBodies('large')).toEqual([
      `{"labels":["large"],"status":"queued","url":"${jobUrl(1)}"}`,
    ])
  })

  it('stores a burst of concurrent publishes in the order they were made, per flavour', async () => {
    const queue = open()
    const ids = Array.from({ length: 120 }, (_, index) => index + 1)
    const outcomes = await Promise.all(
      ids.map((id) => queue.publish(numbered(id, id % 2 === 0 ? 'large' : 'small'))),
    )
    expect(outcomes.every((outcome) => outcome === 'queued')).toBe(true)
    const urls = (flavour: string) =>
      storedBodies(flavour).map((body) => (JSON.parse(body) as { url: string }).url)
    expect(urls('large')).toEqual(ids.filter((id) => id % 2 === 0).map(jobUrl))
    expect(urls('small')).toEqual(ids.filter((id) => id % 2 === 1).map(jobUrl))
    expect(await queue.depth()).toEqual({ large: 60, small: 60 })
  })

  it('answers a redelivered delivery and a repeated job id as duplicates, in one burst too', async () => {
    const queue = open()
    expect(await queue.publish(numbered(1))).toBe('queued')
    const burst = await Promise.all([
      queue.publish(numbered(1)),
      queue.publish(request({ deliveryId: 'd-other', jobId: 1 })),
      queue.publish(numbered(2)),
      queue.publish(numbered(2)),
    ])
    expect(burst).toEqual(['duplicate-delivery', 'duplicate-job', 'queued', 'duplicate-delivery'])
    expect(storedBodies('large')).toHaveLength(2)
  })

  it('peeks and counts through the writer thread', async () => {
    const queue = open()
    await queue.migrate()
    expect(await queue.depth()).toEqual({})
    await queue.publish(numbered(7))
    const [message] = await queue.peek('large', 10)
    expect(message?.flavour).toBe('large')
    expect(message?.body).toContain(jobUrl(7))
    await expect(queue.checkWritable()).resolves.toBeUndefined()
  })

  it('rejects a publish whose signal already aborted, and writes nothing', async () => {
    const queue = open()
    await queue.migrate()
    const error = await queue
      .publish(numbered(1), { signal: AbortSignal.abort() })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(QueueUnavailableError)
    expect(await queue.depth()).toEqual({})
  })

  it('never hands a publish to the writer once its signal aborted while it waited', async () => {
    const queue = open()
    await queue.migrate()
    const controller = new AbortController()
    const waiting = queue.publish(numbered(1), { signal: controller.signal })
    controller.abort(new Error('bound ran out'))
    await expect(waiting).rejects.toThrow(/aborted while waiting/)
    expect(await queue.publish(numbered(2))).toBe('queued')
    expect(storedBodies('large')).toEqual([expect.stringContaining(jobUrl(2))])
  })

  it('rejects every waiting publish that shares an aborted signal, and writes none of them', async () => {
    const queue = open()
    await queue.migrate()
    const controller = new AbortController()
    const waiting = [1, 2, 3].map((id) =>
      queue.publish(numbered(id), { signal: controller.signal }),
    )
    controller.abort(new Error('bound ran out'))
    const results = await Promise.allSettled(waiting)
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(await queue.depth()).toEqual({})
  })

  it('gives up on a file locked by another process within the busy timeout, then recovers', async () => {
    const queue = open({ busyTimeoutMs: 100 })
    await queue.migrate()
    const holder = peer()
    holder.exec('BEGIN EXCLUSIVE')
    await expect(queue.publish(numbered(1))).rejects.toThrow(QueueUnavailableError)
    await expect(queue.publish(numbered(1))).rejects.toThrow(/database is locked/)
    holder.exec('ROLLBACK')
    expect(await queue.publish(numbered(1))).toBe('queued')
  })

  it('reports a file it cannot open as unavailable, with the reason', async () => {
    writeFileSync(join(dir, 'not-a-folder'), '')
    const queue = open({ path: join(dir, 'not-a-folder', 'queue.db') })
    await expect(queue.migrate()).rejects.toThrow(QueueUnavailableError)
    await expect(queue.publish(numbered(1))).rejects.toThrow(/cannot open SQLite queue/)
  })

  it('fails every caller with QueueUnavailableError when the writer cannot start', async () => {
    const queue = open({ workerUrl: new URL('file:///nonexistent/sqlite-thread-worker.js') })
    const error = await queue.publish(numbered(1)).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(QueueUnavailableError)
    expect((error as Error).message).toMatch(/SQLite writer thread for .* (failed|exited)/)
  })

  it('fails the publishes in progress when the writer dies, and starts a new writer', async () => {
    writeFileSync(`${path}.die`, '')
    const queue = open({ workerUrl: new URL('./__fixtures__/dying-writer.mjs', import.meta.url) })
    await expect(queue.publish(numbered(1))).rejects.toThrow(/exited with code 3/)
    expect(await queue.publish(numbered(2))).toBe('queued')
    expect(storedBodies('large')).toEqual([expect.stringContaining(jobUrl(2))])
  })

  it('refuses publishes beyond the backlog while the writer does not answer', async () => {
    const queue = createSqliteThreadQueue({
      path,
      maxBacklog: 3,
      workerUrl: new URL('./__fixtures__/silent-writer.mjs', import.meta.url),
    })
    const stuck = new AbortController()
    void queue.publish(numbered(1), { signal: stuck.signal }).catch(() => undefined)
    await new Promise((resolve) => setImmediate(resolve))
    const waiting = [2, 3, 4].map((id) => {
      const controller = new AbortController()
      const publish = queue.publish(numbered(id), { signal: controller.signal })
      return { controller, publish }
    })
    await expect(queue.publish(numbered(5))).rejects.toThrow(/3 publishes already wait/)
    // Callers that gave up free their places.
    waiting.forEach(({ controller }) => controller.abort())
    await Promise.allSettled(waiting.map(({ publish }) => publish))
    const next = queue.publish(numbered(6), { signal: AbortSignal.timeout(50) })
    await expect(next).rejects.toThrow(/aborted while waiting/)
    // Nothing waits any more, so the silent writer no longer holds this process open.
    stuck.abort()
  })

  it('commits every publish accepted before close(), and refuses the ones after', async () => {
    const queue = open()
    await queue.migrate()
    const first = Array.from({ length: 10 }, (_, index) => queue.publish(numbered(index + 1)))
    // The first ten are with the writer now; the next twenty wait for them to commit.
    await new Promise((resolve) => setImmediate(resolve))
    const rest = Array.from({ length: 20 }, (_, index) => queue.publish(numbered(index + 11)))
    const accepted = [...first, ...rest]
    const closing = queue.close()
    await expect(queue.publish(numbered(99))).rejects.toThrow(/is closed/)
    await closing
    expect(await Promise.all(accepted)).toEqual(Array(30).fill('queued'))
    expect(storedBodies('large')).toHaveLength(30)
    await expect(queue.close()).resolves.toBeUndefined()
  })

  it('closes without ever starting a writer when it was never used', async () => {
    const queue = open({ workerUrl: new URL('file:///nonexistent/writer.js') })
    await expect(queue.close()).resolves.toBeUndefined()
    await expect(queue.depth()).rejects.toThrow(/is closed/)
  })
})

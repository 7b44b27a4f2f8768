/**
 * createMongoQueue against a real MongoDB-protocol server: FerretDB v1.24.2 in every run, or the
 * server of MONGODB_URI when it is set. Each test file run uses a database of its own.
 */
import { randomUUID } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMongoQueue, serialiseJob } from '@webhook-router/router'
import type { JobQueue, MongoQueueOptions, QueuedJob } from '@webhook-router/router'
import { startMongoServer, type MongoServer } from './mongo-server.js'
import { consumeJobs } from './python.js'

const RETENTION_MS = 3_600_000

let server: MongoServer
let uri: string
let client: MongoClient
const database = `webhook_router_test_${randomUUID().slice(0, 8)}`
const queues: JobQueue[] = []
const open = (options: Partial<MongoQueueOptions> = {}) => {
  const queue = createMongoQueue({ uri, dedupRetentionMs: RETENTION_MS, ...options })
  queues.push(queue)
  return queue
}
const dedup = () => client.db(database).collection('webhook_router.dedup')
const messages = () => client.db(database).collection('messages')

beforeAll(async () => {
  server = await startMongoServer()
  uri = server.uri(database)
  client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 })
  await open().migrate()
})
afterAll(async () => {
  for (const queue of queues) await queue.close()
  await client?.db(database).dropDatabase()
  await client?.close()
  await server?.stop()
})

const jobFor = (id: number, labels: string[]): QueuedJob => ({
  labels,
  status: 'queued',
  url: `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${id}`,
})

describe('createMongoQueue on a MongoDB-protocol server', () => {
  it('confirms a writable primary', async () => {
    await expect(open().checkWritable()).resolves.toBeUndefined()
  })

  it('is idempotent when migrating again', async () => {
    await expect(open().migrate()).resolves.toBeUndefined()
  })

  it('indexes the dedup records by age, with a TTL where the server has one', async () => {
    const indexes = await dedup().indexes()
    const byAge = indexes.find((index) => index.name === 'createdAt_1')
    expect(byAge?.key).toEqual({ createdAt: 1 })
    // FerretDB answers expireAfterSeconds with NotImplemented (238): the router prunes itself.
    const ttl = server.kind === 'ferretdb' ? undefined : RETENTION_MS / 1000
    expect(byAge?.expireAfterSeconds).toBe(ttl)
  })

  it('shares dedup between two queue instances', async () => {
    const [first, second] = [open(), open()]
    const request = { flavour: 'dedup', job: jobFor(1, ['dedup']), deliveryId: 'd-1', jobId: 1 }
    expect(await first.publish(request)).toBe('queued')
    expect(await second.publish(request)).toBe('duplicate-delivery')
    expect(await second.publish({ ...request, deliveryId: 'd-2' })).toBe('duplicate-job')
    expect(await first.depth()).toMatchObject({ dedup: 1 })
  })

  it('queues one delivery sent concurrently through three queues exactly once', async () => {
    const routers = [open(), open(), open()]
    const request = { flavour: 'race', job: jobFor(2, ['race']), deliveryId: 'r-1', jobId: 2 }
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, n) => routers[n % 3]!.publish(request)),
    )
    expect(outcomes.filter((outcome) => outcome === 'queued')).toHaveLength(1)
    expect(await messages().countDocuments({ queue: 'race' })).toBe(1)
  })

  it('queues one job sent concurrently in different deliveries exactly once', async () => {
    const routers = [open(), open(), open()]
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        routers[n % 3]!.publish({
          flavour: 'race-job',
          job: jobFor(3, ['race-job']),
          deliveryId: `rj-${n}`,
          jobId: 3,
        }),
      ),
    )
    expect(outcomes.filter((outcome) => outcome === 'queued')).toHaveLength(1)
    expect(new Set(outcomes)).toEqual(new Set(['queued', 'duplicate-job']))
    expect(await messages().countDocuments({ queue: 'race-job' })).toBe(1)
  })

  it('lets exactly one of three routers take over a stale pending claim', async () => {
    const stale = { kind: 'delivery', state: 'pending', token: 'dead', createdAt: new Date(0) }
    await dedup().insertOne({ _id: 'delivery:stale-1' as never, ...stale })
    const routers = [open(), open(), open()]
    const request = { flavour: 'stale', job: jobFor(4, ['stale']), deliveryId: 'stale-1' }
    const outcomes = await Promise.all(
      Array.from({ length: 9 }, (_, n) => routers[n % 3]!.publish(request)),
    )
    expect(outcomes.filter((outcome) => outcome === 'queued')).toHaveLength(1)
    expect(await messages().countDocuments({ queue: 'stale' })).toBe(1)
  })

  it('removes dedup records past the retention, and only those', async () => {
    const now = Date.now()
    const early = open({ clock: () => now - RETENTION_MS - 1 })
    await early.publish({ flavour: 'age', job: jobFor(5, ['age']), deliveryId: 'age-old' })
    const late = open({ clock: () => now })
    await late.publish({ flavour: 'age', job: jobFor(6, ['age']), deliveryId: 'age-new' })
    await late.close()
    const kept = await dedup()
      .find({ _id: { $in: ['delivery:age-old', 'delivery:age-new'] as never[] } })
      .toArray()
    // A TTL monitor removes expired records on its own schedule (once a minute); without one
    // (FerretDB) the router has removed them by the time its publish round ends.
    if (server.kind === 'ferretdb') expect(kept.map((r) => r._id)).toEqual(['delivery:age-new'])
    else expect(kept.map((r) => r._id)).toContain('delivery:age-new')
  })

  it('publishes jobs that the consumer’s kombu reads back unchanged, in order', async () => {
    const queue = open()
    const jobs = [jobFor(10, ['large', 'x64']), jobFor(11, ['large']), jobFor(12, ['größe'])]
    for (const [index, job] of jobs.entries()) {
      await queue.publish({ flavour: 'large', job, deliveryId: `k-${index}`, jobId: 10 + index })
    }
    expect((await queue.peek('large', 10)).map((m) => m.body)).toEqual(jobs.map(serialiseJob))

    const consumed = await consumeJobs(uri, { large: 3 })
    expect(consumed.map((m) => m.payload)).toEqual(jobs.map(serialiseJob))
    expect(await queue.depth()).toMatchObject({ large: 0 })
  })
})

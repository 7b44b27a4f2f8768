/**
 * createMongoQueue against a real MongoDB server, read back by Debian's kombu. Runs only when
 * MONGODB_URI is set (no mongod can run on the build machine); each run uses a database of its
 * own, derived from the URI, and drops it afterwards.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { MongoClient } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMongoQueue, serialiseJob } from '@webhook-router/router'
import type { JobQueue, QueuedJob } from '@webhook-router/router'

const baseUri = process.env['MONGODB_URI']
if (baseUri === undefined || baseUri === '') {
  console.warn('skipping MongoDB integration tests: set MONGODB_URI to a test server to run them')
}

const python = '/usr/bin/python3'
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'consume.py')
const run = promisify(execFile)

/** The same URI with its database replaced, keeping hosts, credentials and options. */
function withDatabase(uri: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?#]*)(?:\/[^?#]*)?(\?.*)?$/.exec(uri)
  if (match === null) throw new Error('MONGODB_URI is not a mongodb:// URI')
  return `${match[1]}/${database}${match[2] ?? ''}`
}

const jobFor = (id: number, labels: string[]): QueuedJob => ({
  labels,
  status: 'queued',
  url: `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${id}`,
})

describe.skipIf(baseUri === undefined || baseUri === '')(
  'createMongoQueue on a real server',
  () => {
    const database = `webhook_router_test_${randomUUID().slice(0, 8)}`
    const uri = baseUri === undefined || baseUri === '' ? '' : withDatabase(baseUri, database)
    const queues: JobQueue[] = []
    const open = () => {
      const queue = createMongoQueue({ uri })
      queues.push(queue)
      return queue
    }

    beforeAll(async () => {
      await open().migrate()
    })
    afterAll(async () => {
      for (const queue of queues) await queue.close()
      const admin = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 })
      try {
        await admin.db(database).dropDatabase()
      } finally {
        await admin.close()
      }
    })

    it('confirms a writable primary', async () => {
      await expect(open().checkWritable()).resolves.toBeUndefined()
    })

    it('is idempotent when migrating again', async () => {
      await expect(open().migrate()).resolves.toBeUndefined()
    })

    it('shares dedup between two queue instances', async () => {
      const [first, second] = [open(), open()]
      const request = { flavour: 'dedup', job: jobFor(1, ['dedup']), deliveryId: 'd-1', jobId: 1 }
      expect(await first.publish(request)).toBe('queued')
      expect(await second.publish(request)).toBe('duplicate-delivery')
      expect(await second.publish({ ...request, deliveryId: 'd-2' })).toBe('duplicate-job')
      expect(await first.depth()).toMatchObject({ dedup: 1 })
    })

    it('publishes jobs that kombu consumers read back unchanged, in order', async () => {
      const queue = open()
      const jobs = [jobFor(10, ['large', 'x64']), jobFor(11, ['large']), jobFor(12, ['größe'])]
      for (const [index, job] of jobs.entries()) {
        await queue.publish({ flavour: 'large', job, deliveryId: `k-${index}`, jobId: 10 + index })
      }
      expect((await queue.peek('large', 10)).map((m) => m.body)).toEqual(jobs.map(serialiseJob))

      const { stdout } = await run(python, [script, 'drain', uri, 'large'], { timeout: 60_000 })
      const payloads = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { payload: string }).payload)
      expect(payloads).toEqual(jobs.map(serialiseJob))
      expect(await queue.depth()).toMatchObject({ large: 0 })
    })
  },
)

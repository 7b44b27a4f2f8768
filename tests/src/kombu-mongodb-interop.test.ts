/**
 * kombu's mongodb transport (the github-runner consumer's, from the venv: kombu 5.6.2, pymongo
 * 4.16.0) reads what createMongoQueue writes, on a real MongoDB-protocol server: FerretDB, or the
 * server of MONGODB_URI when set.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildKombuPayload, createMongoQueue, serialiseJob } from '@webhook-router/router'
import type { JobQueue, QueuedJob } from '@webhook-router/router'
import { startMongoServer, type MongoServer } from './mongo-server.js'
import { consumeJobs, runScriptOk } from './python.js'
import { toolPaths } from '../tools/provision.mjs'

type Doc = Record<string, unknown>

let server: MongoServer
const queues: JobQueue[] = []
beforeAll(async () => {
  server = await startMongoServer()
})
afterAll(async () => {
  for (const queue of queues) await queue.close()
  await server?.stop()
})

/** A database of its own per test, so tests never see each other's messages. */
function freshUri(): string {
  return server.uri(`kombu_interop_${randomUUID().slice(0, 8)}`)
}
function openQueue(uri: string, tag?: string): JobQueue {
  const queue = createMongoQueue({ uri, ...(tag ? { randomUUID: () => tag } : {}) })
  queues.push(queue)
  return queue
}
const kombu = async (...args: string[]) =>
  JSON.parse(await runScriptOk(toolPaths().python, 'kombu_mongodb.py', args)) as unknown

const jobFor = (id: number, labels: string[]): QueuedJob => ({
  labels,
  status: 'queued',
  url: `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${id}`,
})

describe('MongoDB queue read by the consumer’s kombu 5.6.2', () => {
  it('hands kombu every job, byte-for-byte and in order per flavour, and takes one back', async () => {
    const uri = freshUri()
    const queue = openQueue(uri)
    await queue.migrate()
    const flavours = ['large', 'small', 'arm-large']
    const expected = new Map<string, string[]>(flavours.map((flavour) => [flavour, []]))
    for (let id = 1; id <= 9; id += 1) {
      const flavour = flavours[id % 3] ?? 'large'
      const job = jobFor(id, id === 5 ? ['größe'] : [flavour, 'x64'])
      expect(await queue.publish({ flavour, job, deliveryId: `d-${id}`, jobId: id })).toBe('queued')
      expected.get(flavour)?.push(serialiseJob(job))
    }

    const output = (await kombu('consume', uri, ...flavours)) as {
      consumed: { flavour: string; payload: string; payload_type: string }[]
      requeued: { flavour: string; payload: string }
    }

    // The first message was given back with requeue() once; it comes back last.
    const [first, ...rest] = expected.get('large') ?? []
    expect(output.requeued).toEqual({ flavour: 'large', payload: first })
    expect(output.consumed.filter((m) => m.flavour === 'large').map((m) => m.payload)).toEqual([
      ...rest,
      first,
    ])
    for (const flavour of ['small', 'arm-large']) {
      const bodies = output.consumed.filter((m) => m.flavour === flavour).map((m) => m.payload)
      expect(bodies).toEqual(expected.get(flavour))
    }
    expect(new Set(output.consumed.map((m) => m.payload_type))).toEqual(new Set(['str']))
    expect(await queue.depth()).toEqual({ 'arm-large': 0, large: 0, small: 0 })
  })

  it('parses every job with the consumer’s pydantic v1 JobDetails and acks it', async () => {
    const uri = freshUri()
    const queue = openQueue(uri)
    await queue.migrate()
    const jobs = [jobFor(1, ['large', 'x64']), jobFor(2, ['large']), jobFor(3, [])]
    for (const [index, job] of jobs.entries()) {
      await queue.publish({ flavour: 'large', job, deliveryId: `p-${index}`, jobId: index })
    }
    const consumed = await consumeJobs(uri, { large: 3 })
    expect(consumed.map(({ labels, url }) => ({ labels, url }))).toEqual(
      jobs.map(({ labels, url }) => ({ labels: [...labels].sort(), url })),
    )
    expect(await queue.depth()).toEqual({ large: 0 })
  })

  it('writes the same documents, routing row and index names that kombu writes', async () => {
    const body = serialiseJob(jobFor(42, ['large', 'x64']))
    const theirsUri = freshUri()
    const theirs = (await kombu('produce', theirsUri, 'large', body)) as {
      database: string
      messages: Doc[]
      routing: Doc[]
      indexes: Record<string, string[]>
    }
    const [kombuMessage] = theirs.messages
    const tag = (JSON.parse(String(kombuMessage?.['payload'])) as { properties: Doc }).properties[
      'delivery_tag'
    ]

    const oursUri = freshUri()
    const queue = openQueue(oursUri, String(tag))
    await queue.migrate()
    await queue.publish({ flavour: 'large', job: jobFor(42, ['large', 'x64']) })
    const ours = (await kombu('show', oursUri)) as typeof theirs

    expect(kombuMessage?.['payload']).toBe(buildKombuPayload('large', body, String(tag)))
    expect(ours.database).toBe(oursUri.split('/').at(-1))
    expect(ours.messages).toEqual(theirs.messages)
    expect(ours.routing).toEqual(theirs.routing)
    expect(ours.indexes).toEqual(theirs.indexes)
    expect(theirs.indexes).toEqual({
      messages: ['_id_', 'queue_1_priority_1__id_1'],
      'messages.routing': ['_id_', 'queue_1_exchange_1'],
    })
  })
})

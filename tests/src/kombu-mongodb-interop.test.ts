/**
 * Proves kombu's mongodb transport (what the github-runner consumer uses) reads the documents
 * createMongoQueue writes, without a mongod: the adapter writes through a recording client, and
 * the documents are replayed into mongomock under Debian's kombu. Needs /usr/bin/python3 with
 * python3-kombu, python3-pymongo and python3-mongomock; skipped with a warning without mongomock.
 */
import { execFile, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { buildKombuPayload, createMongoQueue, serialiseJob } from '@webhook-router/router'
import type {
  MongoClientLike,
  MongoCollectionLike,
  MongoDbLike,
  QueuedJob,
} from '@webhook-router/router'

type Doc = Record<string, unknown>

const python = '/usr/bin/python3'
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'mongomock_interop.py')
const run = promisify(execFile)
const uri = 'mongodb://localhost:27017/github-runner-webhook-router'

const hasMongomock = await run(python, ['-c', 'import kombu, pymongo, mongomock']).then(
  () => true,
  () => false,
)
if (!hasMongomock) {
  console.warn(
    `skipping kombu MongoDB interop: ${python} lacks kombu/pymongo/mongomock; run 'apt-get install python3-kombu python3-pymongo python3-mongomock'`,
  )
}

/** Keeps what the adapter writes, in order; just enough of the driver for publish and migrate. */
class RecordingMongo implements MongoClientLike {
  readonly collections = new Map<string, Doc[]>()
  readonly indexes: { collection: string; name: unknown }[] = []

  db(): MongoDbLike {
    return {
      collection: (name) => this.collection(name),
      command: async () => ({ isWritablePrimary: true }),
    }
  }
  async close() {}

  private collection(name: string): MongoCollectionLike {
    const docs = () => {
      const existing = this.collections.get(name)
      if (existing) return existing
      const created: Doc[] = []
      this.collections.set(name, created)
      return created
    }
    const same = (doc: Doc, filter: Doc) => Object.entries(filter).every(([k, v]) => doc[k] === v)
    return {
      insertOne: async (doc) => void docs().push({ ...doc }),
      updateOne: async (filter, update, options) => {
        const found = docs().find((doc) => same(doc, filter))
        if (!found && options?.upsert) docs().push({ ...(update['$set'] as Doc) })
        return { matchedCount: found ? 1 : 0, modifiedCount: found ? 1 : 0 }
      },
      updateMany: async () => ({ matchedCount: 0, modifiedCount: 0 }),
      deleteMany: async () => ({}),
      findOne: async () => null,
      find: () => ({ toArray: async () => [] }),
      aggregate: () => ({ toArray: async () => [] }),
      createIndex: async (_keys, options) => {
        this.indexes.push({ collection: name, name: options?.name })
        return String(options?.name)
      },
    }
  }
}

function kombu(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`kombu exited ${code}: ${stderr}`)),
    )
    child.stdin.end(stdin ?? '')
  })
}

const jobFor = (id: number, labels: string[]): QueuedJob => ({
  labels,
  status: 'queued',
  url: `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${id}`,
})

describe.skipIf(!hasMongomock)('MongoDB queue read by kombu (mongomock)', () => {
  it('hands kombu consumers every job, byte-for-byte and in order, per flavour', async () => {
    const recorder = new RecordingMongo()
    const queue = createMongoQueue({ uri, client: recorder })
    await queue.migrate()
    const flavours = ['large', 'small', 'arm-large']
    const expected = new Map<string, string[]>(flavours.map((flavour) => [flavour, []]))
    for (let id = 1; id <= 9; id += 1) {
      const flavour = flavours[id % 3] ?? 'large'
      const job = jobFor(id, id === 5 ? ['größe'] : [flavour, 'x64'])
      expect(await queue.publish({ flavour, job, deliveryId: `d-${id}`, jobId: id })).toBe('queued')
      expected.get(flavour)?.push(serialiseJob(job))
    }
    const collections = Object.fromEntries(
      ['messages', 'messages.routing'].map((name) => [name, recorder.collections.get(name)]),
    )

    const output = JSON.parse(
      await kombu(['consume', uri, ...flavours], JSON.stringify({ collections })),
    ) as {
      consumed: { flavour: string; payload: string; payload_type: string }[]
      requeued: { flavour: string; payload: string }
    }

    // The first message was given back with requeue=True once; it comes back last.
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
  })

  it('writes the same documents, routing row and index names that kombu writes', async () => {
    const body = serialiseJob(jobFor(42, ['large', 'x64']))
    const theirs = JSON.parse(await kombu(['produce', uri, 'large', body])) as {
      database: string
      messages: Doc[]
      routing: Doc[]
      indexes: Record<string, string[]>
    }
    const [kombuMessage] = theirs.messages
    const tag = (JSON.parse(String(kombuMessage?.['payload'])) as { properties: Doc }).properties[
      'delivery_tag'
    ]

    const recorder = new RecordingMongo()
    const queue = createMongoQueue({ uri, client: recorder, randomUUID: () => String(tag) })
    await queue.migrate()
    await queue.publish({ flavour: 'large', job: jobFor(42, ['large', 'x64']) })

    expect(theirs.database).toBe('github-runner-webhook-router')
    expect(recorder.collections.get('messages')).toEqual(theirs.messages)
    expect(kombuMessage?.['payload']).toBe(buildKombuPayload('large', body, String(tag)))
    expect(recorder.collections.get('messages.routing')).toEqual(theirs.routing)
    for (const collection of ['messages', 'messages.routing']) {
      const ours = recorder.indexes.filter((i) => i.collection === collection).map((i) => i.name)
      expect(['_id_', ...ours]).toEqual(theirs.indexes[collection])
    }
  })
})

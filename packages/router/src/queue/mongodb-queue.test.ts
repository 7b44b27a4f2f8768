import type { Document } from 'mongodb'
import { MongoNetworkError, MongoServerError } from 'mongodb'
import { describe, expect, it } from 'vitest'
import { buildKombuPayload, serialiseJob } from './kombu-envelope.js'
import type {
  MongoClientLike,
  MongoCollectionLike,
  MongoCursorLike,
  MongoDbLike,
} from './mongodb-client.js'
import { createMongoQueue } from './mongodb-queue.js'
import type { MongoQueueOptions } from './mongodb-queue.js'
import { QueueUnavailableError } from './port.js'
import { publishRequest as request, sampleQueuedJob as job } from '../testing/publish-request.js'

interface Call {
  db: string
  collection: string
  method: string
  args: unknown[]
}

/** An in-memory stand-in for the driver that records every call and can be told to fail. */
class FakeMongo implements MongoClientLike {
  readonly calls: Call[] = []
  readonly data = new Map<string, Document[]>()
  readonly failures: { method: string; collection: string; error: unknown }[] = []
  hello: Document = { isWritablePrimary: true }
  /** Indexes made by `createIndex`, per collection, as `listIndexes` reports them. */
  readonly indexes = new Map<string, Document[]>()
  hang = false
  /**
   * Like FerretDB v1: a filtered update reads the matching document, then writes it back by
   * `_id` a moment later, so two updates with the same filter can both apply.
   */
  readThenWrite = false
  closed = 0
  private nextId = 1

  db(name: string): MongoDbLike {
    return {
      collection: (collection) => this.collection(name, collection),
      command: async (command, options) => {
        this.calls.push({ db: name, collection: '', method: 'command', args: [command, options] })
        this.maybeFail('command', '')
        const listed: unknown = command['listIndexes']
        if (typeof listed !== 'string') return this.hello
        const firstBatch = this.indexes.get(listed)
        if (firstBatch === undefined && !this.data.has(listed)) {
          throw new MongoServerError({ message: 'ns does not exist', code: 26 })
        }
        return {
          cursor: { firstBatch: [{ key: { _id: 1 }, name: '_id_' }, ...(firstBatch ?? [])] },
        }
      },
    }
  }
  async close() {
    this.closed += 1
  }
  failNext(method: string, collection: string, error: unknown) {
    this.failures.push({ method, collection, error })
  }
  docs(collection: string): Document[] {
    return this.data.get(collection) ?? []
  }
  callsTo(method: string, collection?: string) {
    return this.calls.filter(
      (call) =>
        call.method === method && (collection === undefined || call.collection === collection),
    )
  }

  private maybeFail(method: string, collection: string) {
    const index = this.failures.findIndex((f) => f.method === method && f.collection === collection)
    if (index === -1) return
    const [failure] = this.failures.splice(index, 1)
    throw failure?.error
  }

  private collection(db: string, name: string): MongoCollectionLike {
    const docs = () => {
      if (!this.data.has(name)) this.data.set(name, [])
      return this.data.get(name) ?? []
    }
    const record = async (method: string, args: unknown[]) => {
      this.calls.push({ db, collection: name, method, args })
      if (this.hang) await new Promise(() => {})
      this.maybeFail(method, name)
    }
    const cursor = (result: () => Document[]): MongoCursorLike => ({
      toArray: async () => result(),
    })
    return {
      insertOne: async (document, options) => {
        await record('insertOne', [document, options])
        const id = document['_id'] ?? `oid-${this.nextId++}`
        if (docs().some((d) => d['_id'] === id)) {
          throw new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })
        }
        docs().push({ ...document, _id: id })
        return { insertedId: id }
      },
      updateOne: async (filter, update, options) => {
        await record('updateOne', [filter, update, options])
        const found = docs().find((d) => matches(d, filter))
        if (this.readThenWrite) await new Promise((resolve) => setTimeout(resolve, 1))
        if (found !== undefined) Object.assign(found, update['$set'])
        else if (options?.upsert) docs().push({ ...update['$set'], _id: `oid-${this.nextId++}` })
        return { matchedCount: found ? 1 : 0, modifiedCount: found ? 1 : 0 }
      },
      updateMany: async (filter, update, options) => {
        await record('updateMany', [filter, update, options])
        const found = docs().filter((d) => matches(d, filter))
        for (const d of found) Object.assign(d, update['$set'])
        return { matchedCount: found.length, modifiedCount: found.length }
      },
      deleteMany: async (filter, options) => {
        await record('deleteMany', [filter, options])
        this.data.set(
          name,
          docs().filter((d) => !matches(d, filter)),
        )
        return {}
      },
      findOne: async (filter) => {
        await record('findOne', [filter])
        return docs().find((d) => matches(d, filter)) ?? null
      },
      find: (filter, options) => {
        this.calls.push({ db, collection: name, method: 'find', args: [filter, options] })
        const found = () => docs().filter((d) => matches(d, filter))
        return cursor(() => (options?.limit ? found().slice(0, options.limit) : found()))
      },
      aggregate: (pipeline, options) => {
        this.calls.push({ db, collection: name, method: 'aggregate', args: [pipeline, options] })
        const counts = new Map<unknown, number>()
        for (const d of docs()) counts.set(d['queue'], (counts.get(d['queue']) ?? 0) + 1)
        return cursor(() => [...counts].map(([queue, waiting]) => ({ _id: queue, waiting })))
      },
      createIndex: async (keys, options) => {
        await record('createIndex', [keys, options])
        const { background: _background, ...spec } = options ?? {}
        this.indexes.set(name, [...(this.indexes.get(name) ?? []), { key: keys, ...spec }])
        return options?.name ?? 'index'
      },
    }
  }
}

function matches(document: Document, filter: Document): boolean {
  return Object.entries(filter).every(([key, expected]) => {
    const actual = document[key]
    if (expected !== null && typeof expected === 'object' && '$in' in expected) {
      return (expected['$in'] as unknown[]).includes(actual)
    }
    if (expected instanceof Object && '$lt' in expected) {
      return actual instanceof Date && actual < (expected['$lt'] as Date)
    }
    return expected === null ? actual === null || actual === undefined : actual === expected
  })
}

const majority = { writeConcern: { w: 'majority', wtimeoutMS: 4000 } }

function setup(options: Partial<MongoQueueOptions> = {}) {
  const fake = new FakeMongo()
  let uuid = 0
  const queue = createMongoQueue({
    uri: 'mongodb://router:hunter22@h1:27017,h2:27017/github-runner-webhook-router?replicaSet=rs0',
    client: fake,
    clock: () => 1_000_000,
    randomUUID: () => `uuid-${++uuid}`,
    ...options,
  })
  return { fake, queue }
}

describe('createMongoQueue migrate', () => {
  it("creates kombu's indexes under kombu's default names and our TTL index", async () => {
    const { fake, queue } = setup({ dedupRetentionMs: 3_600_000 })
    await queue.migrate()
    expect(fake.callsTo('createIndex').map((c) => [c.db, c.collection, ...c.args])).toEqual([
      [
        'github-runner-webhook-router',
        'messages',
        { queue: 1, priority: 1, _id: 1 },
        { name: 'queue_1_priority_1__id_1', background: true },
      ],
      [
        'github-runner-webhook-router',
        'messages.routing',
        { queue: 1, exchange: 1 },
        { name: 'queue_1_exchange_1' },
      ],
      [
        'github-runner-webhook-router',
        'webhook_router.dedup',
        { createdAt: 1 },
        { name: 'createdAt_1', expireAfterSeconds: 3600 },
      ],
    ])
    expect(fake.calls.some((c) => c.collection === 'messages.broadcast')).toBe(false)
  })

  it('changes the TTL in place when the retention changed since the index was made', async () => {
    const { fake, queue } = setup({ dedupRetentionMs: 7_200_000 })
    const conflict = new MongoServerError({ message: 'Index options conflict', code: 85 })
    fake.failNext('createIndex', 'webhook_router.dedup', conflict)
    await queue.migrate()
    expect(fake.callsTo('command')[0]?.args[0]).toEqual({
      collMod: 'webhook_router.dedup',
      index: { name: 'createdAt_1', expireAfterSeconds: 7200 },
    })
  })
})

describe('createMongoQueue publish', () => {
  it('inserts exactly the kombu document with a majority write concern', async () => {
    const { fake, queue } = setup()
    expect(await queue.publish(request())).toBe('queued')
    const inserts = fake.callsTo('insertOne', 'messages')
    expect(inserts.map((c) => c.args)).toEqual([
      [
        {
          payload: buildKombuPayload('large', serialiseJob(job), 'uuid-1'),
          queue: 'large',
          priority: 9,
        },
        majority,
      ],
    ])
  })

  it('upserts the kombu routing row once per flavour', async () => {
    const { fake, queue } = setup()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    const binding = { exchange: 'large', queue: 'large', routing_key: 'large', pattern: null }
    expect(fake.callsTo('updateOne', 'messages.routing').map((c) => c.args)).toEqual([
      [binding, { $set: binding }, { upsert: true, ...majority }],
    ])
    expect(fake.docs('messages.routing')).toHaveLength(1)
  })

  it('records the delivery and job ids as done, owned by the attempt, dated by the clock', async () => {
    const { fake, queue } = setup()
    await queue.publish(request())
    const createdAt = new Date(1_000_000)
    expect(fake.docs('webhook_router.dedup')).toEqual([
      { _id: 'delivery:d-1', kind: 'delivery', state: 'done', token: 'uuid-2', createdAt },
      { _id: 'job:1', kind: 'job', state: 'done', token: 'uuid-2', createdAt },
    ])
    expect(fake.callsTo('insertOne', 'webhook_router.dedup')[0]?.args[1]).toEqual(majority)
  })

  it('answers duplicate-delivery for a delivery id it has seen and inserts no message', async () => {
    const { fake, queue } = setup()
    await queue.publish(request())
    expect(await queue.publish(request({ jobId: 2 }))).toBe('duplicate-delivery')
    expect(fake.docs('messages')).toHaveLength(1)
  })

  it('answers duplicate-job for a queued job and still records the new delivery id', async () => {
    const { fake, queue } = setup()
    await queue.publish(request())
    expect(await queue.publish(request({ deliveryId: 'd-2' }))).toBe('duplicate-job')
    expect(fake.docs('messages')).toHaveLength(1)
    expect(await queue.publish(request({ deliveryId: 'd-2', jobId: 5 }))).toBe('duplicate-delivery')
  })

  it('shares dedup between two queue instances on the same database', async () => {
    const { fake, queue } = setup()
    const other = createMongoQueue({
      uri: 'mongodb://h1/github-runner-webhook-router',
      client: fake,
      clock: () => 1_000_000,
    })
    await queue.publish(request())
    expect(await other.publish(request())).toBe('duplicate-delivery')
  })

  it('removes its dedup records when the message insert fails, so a redelivery can queue', async () => {
    const { fake, queue } = setup()
    fake.failNext('insertOne', 'messages', new MongoNetworkError('connection reset'))
    await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
    expect(fake.docs('webhook_router.dedup')).toEqual([])
    expect(fake.callsTo('deleteMany', 'webhook_router.dedup')[0]?.args).toEqual([
      { _id: { $in: ['delivery:d-1', 'job:1'] }, token: 'uuid-2' },
      majority,
    ])
    expect(await queue.publish(request())).toBe('queued')
  })

  it('releases the delivery claim when claiming the job id fails', async () => {
    const { fake, queue } = setup()
    await queue.publish(request({ deliveryId: 'x', jobId: 9 }))
    fake.failNext('findOne', 'webhook_router.dedup', new MongoNetworkError('gone'))
    await expect(queue.publish(request({ deliveryId: 'y', jobId: 9 }))).rejects.toThrow(/gone/)
    expect(fake.docs('webhook_router.dedup').map((d) => d['_id'])).toEqual(['delivery:x', 'job:9'])
  })

  it('takes over a record past the retention that the TTL monitor has not removed yet', async () => {
    let now = 1_000_000
    const { fake, queue } = setup({ clock: () => now, dedupRetentionMs: 60_000 })
    await queue.publish(request())
    now += 60_001
    expect(await queue.publish(request())).toBe('queued')
    expect(fake.docs('messages')).toHaveLength(2)
  })

  it('takes over a pending claim left by an attempt that died, but not a fresh one', async () => {
    let now = 1_000_000
    const { fake, queue } = setup({ clock: () => now })
    const stale = { kind: 'delivery', state: 'pending', token: 'dead', createdAt: new Date(now) }
    fake.data.set('webhook_router.dedup', [{ _id: 'delivery:d-1', ...stale }])
    expect(await queue.publish(request())).toBe('duplicate-delivery')
    now += 60_001
    expect(await queue.publish(request())).toBe('queued')
  })

  it('rejects as aborted when the signal aborts, leaving the attempt to finish on its own', async () => {
    const { fake, queue } = setup()
    fake.hang = true
    const controller = new AbortController()
    const publishing = queue.publish(request(), { signal: controller.signal })
    controller.abort()
    await expect(publishing).rejects.toThrow(
      /^cannot publish to MongoDB queue at .*: aborted waiting for MongoDB$/,
    )
  })

  it('rejects as timed out after operationTimeoutMs when no signal is given', async () => {
    const { fake, queue } = setup({ operationTimeoutMs: 20 })
    fake.hang = true
    await expect(queue.publish(request())).rejects.toThrow(/timed out waiting for MongoDB/)
  })

  it('maps driver errors to a one-line QueueUnavailableError without credentials', async () => {
    const { fake, queue } = setup()
    const leak = new MongoServerError({
      message: 'Authentication failed for router:hunter22\nmore',
      code: 18,
    })
    fake.failNext('insertOne', 'webhook_router.dedup', leak)
    const failure = queue.publish(request())
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(failure).rejects.toThrow(
      'cannot publish to MongoDB queue at mongodb://***@h1:27017,h2:27017/github-runner-webhook-router: MongoServerError: Authentication failed for *** (code 18)',
    )
    await failure.catch((error: Error) => expect(error.cause).toBeUndefined())
  })

  it('lets errors that do not come from the driver through unchanged', async () => {
    const { fake, queue } = setup()
    const bug = new TypeError('bug')
    fake.failNext('insertOne', 'messages', bug)
    await expect(queue.publish(request())).rejects.toBe(bug)
  })
})

describe('createMongoQueue reads and lifecycle', () => {
  it('counts waiting messages per flavour, with bound flavours that have none', async () => {
    const { fake, queue } = setup()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await queue.publish(request({ flavour: 'small', deliveryId: 'b', jobId: 2 }))
    fake.data.set('messages', fake.docs('messages').slice(0, 1))
    expect(await queue.depth()).toEqual({ large: 1, small: 0 })
  })

  it("peeks in the consumer's order with the job JSON as body", async () => {
    const { fake, queue } = setup()
    await queue.publish(request())
    expect(await queue.peek('large', 5)).toEqual([
      { id: 'oid-2', flavour: 'large', body: serialiseJob(job) },
    ])
    expect(fake.callsTo('find', 'messages')[0]?.args).toEqual([
      { queue: 'large' },
      { sort: { priority: 1, _id: 1 }, limit: 5, maxTimeMS: 4000 },
    ])
  })

  it('peeks nothing, without a query, for a limit below one', async () => {
    const { fake, queue } = setup()
    expect(await queue.peek('large', 0)).toEqual([])
    expect(fake.callsTo('find')).toEqual([])
  })

  it('uses the database in the URI path, or kombu_default without one', async () => {
    const { fake } = setup()
    await createMongoQueue({ uri: 'mongodb://h1:27017/?replicaSet=rs', client: fake }).depth()
    expect(fake.calls[0]?.db).toBe('kombu_default')
  })

  it('shows the location without credentials', () => {
    expect(setup().queue.location).toBe(
      'mongodb://***@h1:27017,h2:27017/github-runner-webhook-router',
    )
  })

  it('accepts a writable primary or a mongos and refuses a secondary', async () => {
    const { fake, queue } = setup()
    await expect(queue.checkWritable()).resolves.toBeUndefined()
    expect(fake.callsTo('command')[0]?.args[0]).toEqual({ hello: 1 })
    fake.hello = { msg: 'isdbgrid' }
    await expect(queue.checkWritable()).resolves.toBeUndefined()
    fake.hello = { isWritablePrimary: false, secondary: true }
    await expect(queue.checkWritable()).rejects.toThrow(/not a writable primary/)
  })

  it('proves a write with the publishes write concern, and fails when that write fails', async () => {
    const { fake, queue } = setup()
    await queue.checkWritable()
    const probe = fake.callsTo('updateOne', 'webhook_router.dedup')[0]?.args
    expect(probe?.[0]).toEqual({ _id: 'probe:health' })
    expect(probe?.[2]).toEqual({ upsert: true, ...majority })
    fake.failNext(
      'updateOne',
      'webhook_router.dedup',
      new Error('waiting for replication timed out'),
    )
    await expect(queue.checkWritable()).rejects.toThrow(/replication timed out/)
  })

  it('does not close an injected client and refuses work once closed', async () => {
    const { fake, queue } = setup()
    await queue.close()
    await queue.close()
    expect(fake.closed).toBe(0)
    await expect(queue.depth()).rejects.toThrow(/is closed/)
  })

  it('rejects an invalid URI with a one-line error that does not echo it', async () => {
    const queue = createMongoQueue({ uri: 'mysql://root:hunter22@db/x' })
    expect(queue.location).toBe('mongodb://(invalid URI)')
    await expect(queue.migrate()).rejects.toThrow(/^MongoDB URI must look like [^\n]*$/)
  })

  it('reports an unreachable server as QueueUnavailableError through the real driver', async () => {
    const queue = createMongoQueue({
      uri: 'mongodb://router:hunter22@127.0.0.1:1/db',
      serverSelectionTimeoutMs: 200,
    })
    const failure = queue.publish(request())
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(failure).rejects.toThrow(/^(?!.*hunter22)cannot publish to MongoDB queue at/)
    await queue.close()
  })
})

describe('createMongoQueue dedup claims under races', () => {
  it('queues when the record it collided with is gone by the time it reads it', async () => {
    const { fake, queue } = setup()
    const removed = new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })
    fake.failNext('insertOne', 'webhook_router.dedup', removed)
    expect(await queue.publish(request())).toBe('queued')
    expect(fake.docs('messages')).toHaveLength(1)
  })

  it('lets one of two routers take over a stale claim when updates are not atomic', async () => {
    const { fake, queue } = setup()
    const other = createMongoQueue({
      uri: 'mongodb://h1/github-runner-webhook-router',
      client: fake,
      clock: () => 1_000_000,
    })
    fake.readThenWrite = true
    const stale = { kind: 'delivery', state: 'pending', token: 'dead', createdAt: new Date(0) }
    fake.data.set('webhook_router.dedup', [{ _id: 'delivery:d-1', ...stale }])
    const outcomes = await Promise.all([queue.publish(request()), other.publish(request())])
    expect(outcomes.sort()).toEqual(['duplicate-delivery', 'queued'])
    expect(fake.docs('messages')).toHaveLength(1)
  })
})

describe('createMongoQueue dedup claims held by another', () => {
  const stale = { kind: 'delivery', state: 'pending', token: 'dead', createdAt: new Date(0) }
  const marker = { kind: 'takeover', state: 'done', token: 'x', createdAt: new Date(1_000_000) }
  const immediate = {
    setTimeout: (callback: () => void) => void queueMicrotask(callback),
    clearTimeout: () => {},
  }

  it('answers 503 when the router holding the takeover marker never finishes', async () => {
    const { fake, queue } = setup({ timers: immediate })
    fake.data.set('webhook_router.dedup', [
      { _id: 'delivery:d-1', ...stale },
      { _id: 'takeover:delivery:d-1:dead', ...marker },
    ])
    const failure = queue.publish(request())
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(failure).rejects.toThrow(/dedup record delivery:d-1 is being replaced/)
    expect(fake.docs('messages')).toEqual([])
  })

  it('queues once the holder has removed the stale record', async () => {
    let pauses = 0
    const { fake, queue } = setup({
      timers: {
        setTimeout: (callback: () => void) => {
          pauses += 1
          // The pruner that held the marker deletes the record during our first pause.
          fake.data.set('webhook_router.dedup', [])
          queueMicrotask(callback)
        },
        clearTimeout: () => {},
      },
    })
    fake.data.set('webhook_router.dedup', [
      { _id: 'delivery:d-1', ...stale },
      { _id: 'takeover:delivery:d-1:dead', ...marker },
    ])
    expect(await queue.publish(request())).toBe('queued')
    expect(pauses).toBe(1)
  })
})

describe('createMongoQueue dedup records on a server without TTL indexes', () => {
  const RETENTION = 3_600_000
  const INTERVAL = 60_000
  /** Lets a background pruning round run to its end (the fake answers within microtasks). */
  const settled = () => new Promise((resolve) => setImmediate(resolve))
  /** The dedup records, without the takeover markers. */
  const dedupIds = (fake: FakeMongo) =>
    fake
      .docs('webhook_router.dedup')
      .filter((d) => d['kind'] !== 'takeover')
      .map((d) => d['_id'])

  function withoutTtl(options: Partial<MongoQueueOptions> = {}) {
    let now = 10_000_000
    const logs: { level: string; message: string }[] = []
    const log = (level: string) => (message: string) => void logs.push({ level, message })
    const logger = {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
    }
    const { fake, queue } = setup({
      clock: () => now,
      dedupRetentionMs: RETENTION,
      dedupPruneIntervalMs: INTERVAL,
      logger,
      ...options,
    })
    const refused = new MongoServerError({
      message: 'Index option "expireAfterSeconds" is not implemented yet',
      code: 238,
    })
    fake.failNext('createIndex', 'webhook_router.dedup', refused)
    return { fake, queue, logs, advance: (ms: number) => (now += ms) }
  }

  it('migrates with createdAt_1 without expiry when the server refuses the TTL index', async () => {
    const { fake, queue, logs } = withoutTtl()
    await queue.migrate()
    expect(fake.indexes.get('webhook_router.dedup')).toEqual([
      { key: { createdAt: 1 }, name: 'createdAt_1' },
    ])
    expect(logs).toEqual([
      {
        level: 'info',
        message:
          'MongoDB server refused the TTL index on the dedup records; the router will delete expired ones itself',
      },
    ])
  })

  it('still fails migrate on any other index error', async () => {
    const { fake, queue } = setup()
    const denied = new MongoServerError({ message: 'not authorized', code: 13 })
    fake.failNext('createIndex', 'webhook_router.dedup', denied)
    await expect(queue.migrate()).rejects.toThrow(/not authorized \(code 13\)/)
  })

  it('deletes records past the retention itself after a publish, and says so once', async () => {
    const { fake, queue, logs, advance } = withoutTtl()
    await queue.migrate()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    advance(RETENTION + 1)
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await queue.close()
    expect(dedupIds(fake)).toEqual(['delivery:b', 'job:2'])
    expect(logs.filter((l) => /deletes expired ones itself$/.test(l.message))).toHaveLength(1)
  })

  it('keeps records younger than the retention', async () => {
    const { fake, queue, advance } = withoutTtl()
    await queue.migrate()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    advance(RETENTION)
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await queue.close()
    expect(dedupIds(fake)).toEqual(['delivery:a', 'job:1', 'delivery:b', 'job:2'])
  })

  it('prunes at most once per interval', async () => {
    const { fake, queue, advance } = withoutTtl()
    await queue.migrate()
    const rounds = () =>
      fake
        .callsTo('find', 'webhook_router.dedup')
        .filter((call) => (call.args[0] as Document)['createdAt'] !== undefined).length
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await settled()
    advance(INTERVAL - 1)
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await settled()
    expect(rounds()).toBe(1)
    advance(1)
    await queue.publish(request({ deliveryId: 'c', jobId: 3 }))
    await settled()
    expect(rounds()).toBe(2)
  })

  it('deletes a backlog in batches of 100, the next batch on the next publish', async () => {
    const { fake, queue } = withoutTtl()
    await queue.migrate()
    const old = { kind: 'job', state: 'done', token: 't', createdAt: new Date(0) }
    fake.data.set(
      'webhook_router.dedup',
      Array.from({ length: 101 }, (_, n) => ({ _id: `job:old-${n}`, ...old })),
    )
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await settled()
    expect(dedupIds(fake)).toEqual(['job:old-100', 'delivery:a', 'job:1'])
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await settled()
    expect(dedupIds(fake)).toEqual(['delivery:a', 'job:1', 'delivery:b', 'job:2'])
  })

  it('removes a record only with its takeover marker, and leaves one another holds', async () => {
    const { fake, queue } = withoutTtl()
    await queue.migrate()
    const old = { state: 'done', token: 't', createdAt: new Date(0) }
    fake.data.set('webhook_router.dedup', [
      { _id: 'job:held', kind: 'job', ...old },
      {
        _id: 'takeover:job:held:t',
        kind: 'takeover',
        state: 'done',
        token: 'x',
        createdAt: new Date(),
      },
      { _id: 'job:free', kind: 'job', ...old },
    ])
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await settled()
    expect(fake.docs('webhook_router.dedup').map((d) => d['_id'])).toEqual([
      'job:held',
      'takeover:job:held:t',
      'delivery:a',
      'job:1',
      'takeover:job:free:t',
    ])
  })

  it('never prunes on a server with the TTL index, and reads the indexes once', async () => {
    const { fake, queue } = setup({ dedupPruneIntervalMs: INTERVAL })
    await queue.migrate()
    await queue.publish(request({ deliveryId: 'a', jobId: 1 }))
    await queue.publish(request({ deliveryId: 'b', jobId: 2 }))
    await queue.close()
    expect(fake.callsTo('find', 'webhook_router.dedup')).toEqual([])
    expect(fake.callsTo('command').map((c) => c.args[0])).toEqual([
      { listIndexes: 'webhook_router.dedup' },
    ])
  })

  it('starts no pruning round for a publish that ends after close()', async () => {
    const { fake, queue, logs } = withoutTtl()
    await queue.migrate()
    const publishing = queue.publish(request())
    await queue.close()
    expect(await publishing).toBe('queued')
    await settled()
    expect(fake.callsTo('command')).toEqual([])
    expect(logs.filter((l) => l.level === 'warn')).toEqual([])
  })

  it('answers the publish and warns when a pruning round fails', async () => {
    const { fake, queue, logs } = withoutTtl()
    await queue.migrate()
    fake.failNext('command', '', new MongoNetworkError('connection reset'))
    expect(await queue.publish(request())).toBe('queued')
    await queue.close()
    expect(logs.at(-1)).toEqual({
      level: 'warn',
      message: 'could not delete expired dedup records; trying again later',
    })
  })
})

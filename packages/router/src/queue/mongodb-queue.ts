/**
 * The MongoDB queue adapter: writes the documents kombu's mongodb transport writes, so the
 * github-runner reactive consumer (`Connection(uri).SimpleQueue(app)`) reads our jobs.
 *
 * @module
 */
import { randomUUID as cryptoRandomUUID } from 'node:crypto'
import type { WriteConcernSettings } from 'mongodb'
import { MongoClient } from 'mongodb'
import type { Clock, Logger, Timers } from '../ports.js'
import { silentLogger, systemTimers } from '../ports.js'
import type { JobQueue, PublishOutcome, PublishRequest, QueueCallOptions } from './port.js'
import { DEFAULT_DEDUP_RETENTION_MS, QueueUnavailableError } from './port.js'
import { buildKombuPayload, decodeKombuPayload, serialiseJob } from './kombu-envelope.js'
import type { MongoClientLike, MongoDbLike } from './mongodb-client.js'
import {
  INDEX_OPTIONS_CONFLICT,
  mongoErrorCode,
  raceAbort,
  toMongoQueueError,
} from './mongodb-client.js'
import type { DedupContext } from './mongodb-dedup.js'
import {
  CLAIM_RETRY_PAUSE_MS,
  DEDUP_COLLECTION,
  DEDUP_TTL_INDEX,
  claimDedupKey,
  releaseDedupKeys,
  settleDedupKeys,
} from './mongodb-dedup.js'
import {
  DEFAULT_DEDUP_PRUNE_INTERVAL_MS,
  NOT_IMPLEMENTED,
  createDedupPruner,
} from './mongodb-dedup-expiry.js'
import { parseMongoUri, redactSecrets } from './mongodb-uri.js'

/** Options of {@link createMongoQueue}. */
export interface MongoQueueOptions {
  /** The connection string; its path names the database (default `kombu_default`, as kombu). */
  readonly uri: string
  /** Wall clock for dedup record ages. Default `Date.now`. */
  readonly clock?: Clock
  /** How long dedup records are kept (a TTL index). Default 3 days. */
  readonly dedupRetentionMs?: number
  /**
   * On a server that refuses TTL indexes (FerretDB), how often the router deletes expired dedup
   * records itself, after a publish. Default 60 s, the cadence of MongoDB's TTL monitor.
   */
  readonly dedupPruneIntervalMs?: number
  /** A client to use instead of creating one; the caller keeps ownership and closes it. */
  readonly client?: MongoClientLike
  /** How long the driver looks for a usable server before failing. Default 2500 ms. */
  readonly serverSelectionTimeoutMs?: number
  /**
   * Bound on each operation when the caller passes no `signal` (also the write concern's
   * `wtimeoutMS` and reads' `maxTimeMS`). Default 4000 ms.
   */
  readonly operationTimeoutMs?: number
  /** Source of kombu delivery tags and claim tokens. Default `crypto.randomUUID`. */
  readonly randomUUID?: () => string
  /** Receives warnings about dedup bookkeeping that failed after the outcome was decided. */
  readonly logger?: Logger
  /** Timers for the pause between claim attempts on a record another router replaces. */
  readonly timers?: Timers
}

export const DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS = 2500
export const DEFAULT_MONGO_OPERATION_TIMEOUT_MS = 4000
/** Default bound of `migrate()` without a signal. */
const MIGRATE_TIMEOUT_MS = 60_000
/** A pending claim older than this belongs to an attempt that died; it may be taken over. */
const PENDING_GRACE_MS = 60_000

/** kombu's collections (transport option defaults) and index names (the driver's defaults). */
const MESSAGES = 'messages'
const ROUTING = 'messages.routing'
/** kombu stores `9 - priority`; every message of ours has AMQP priority 0. */
const STORED_PRIORITY = 9

/**
 * A {@link JobQueue} on MongoDB in kombu's layout: one `messages` document per job
 * (`{payload, queue, priority: 9}`), the `messages.routing` binding row, and kombu's indexes.
 * Dedup records live in `webhook_router.dedup` with a TTL index; a server that refuses TTL
 * indexes gets a plain one, and the adapter deletes expired records itself. Writes use
 * `{w: 'majority'}`, so `queued` means a majority of the replica set has the message.
 *
 * The client is created on first use (one connection pool per queue) and closed by `close()`.
 *
 * @example
 * const queue = createMongoQueue({ uri: process.env.MONGODB_DB_CONNECT_STRING! })
 * await queue.migrate()
 */
export function createMongoQueue(options: MongoQueueOptions): JobQueue {
  const uri = (() => {
    try {
      return parseMongoUri(options.uri)
    } catch {
      return undefined
    }
  })()
  const location = uri?.redacted ?? 'mongodb://(invalid URI)'
  const secrets = uri?.secrets ?? []
  const clock = options.clock ?? Date.now
  const retentionMs = options.dedupRetentionMs ?? DEFAULT_DEDUP_RETENTION_MS
  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_MONGO_OPERATION_TIMEOUT_MS
  const newUUID = options.randomUUID ?? cryptoRandomUUID
  const logger = options.logger ?? silentLogger
  const timers = options.timers ?? systemTimers
  const writeConcern: WriteConcernSettings = { w: 'majority', wtimeoutMS: operationTimeoutMs }
  const routedFlavours = new Set<string>()
  const pruner = createDedupPruner({
    clock,
    retentionMs,
    intervalMs: options.dedupPruneIntervalMs ?? DEFAULT_DEDUP_PRUNE_INTERVAL_MS,
    writeConcern,
    newToken: newUUID,
    logger,
    describe: (error) => describe(error),
  })
  let client: MongoClientLike | undefined
  let closed = false

  function database(): MongoDbLike {
    if (closed) throw new QueueUnavailableError(`MongoDB queue at ${location} is closed`)
    if (uri === undefined) {
      throw new QueueUnavailableError(
        'MongoDB URI must look like mongodb://[user:password@]host[:port][,...]/[db]',
      )
    }
    client ??=
      options.client ??
      new MongoClient(options.uri, {
        serverSelectionTimeoutMS:
          options.serverSelectionTimeoutMs ?? DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS,
        appName: 'github-runner-webhook-router',
      })
    return client.db(uri.databaseName)
  }

  /** Runs `work` within the caller's signal or the default bound, mapping driver errors. */
  async function run<T>(
    what: string,
    work: (db: MongoDbLike) => Promise<T>,
    callOptions: QueueCallOptions | undefined,
    boundMs = operationTimeoutMs,
  ): Promise<T> {
    const signal = callOptions?.signal ?? AbortSignal.timeout(boundMs)
    const label = `${what} MongoDB queue at ${location}`
    try {
      return await raceAbort(
        Promise.resolve().then(() => work(database())),
        signal,
        label,
      )
    } catch (error) {
      throw toMongoQueueError(error, label, secrets)
    }
  }

  async function ensureRouting(db: MongoDbLike, flavour: string): Promise<void> {
    if (routedFlavours.has(flavour)) return
    // The binding row kombu's SimpleQueue declare upserts; consumers need it to requeue.
    const binding = { exchange: flavour, queue: flavour, routing_key: flavour, pattern: null }
    await db
      .collection(ROUTING)
      .updateOne(binding, { $set: binding }, { upsert: true, writeConcern })
    routedFlavours.add(flavour)
  }

  async function publishNow(db: MongoDbLike, request: PublishRequest): Promise<PublishOutcome> {
    const payload = buildKombuPayload(request.flavour, serialiseJob(request.job), newUUID())
    const context: DedupContext = {
      collection: db.collection(DEDUP_COLLECTION),
      writeConcern,
      token: newUUID(),
      now: clock(),
      retentionMs,
      pendingGraceMs: PENDING_GRACE_MS,
      pause: () => new Promise((resolve) => timers.setTimeout(resolve, CLAIM_RETRY_PAUSE_MS)),
    }
    const claimed: string[] = []
    const settle = () =>
      settleDedupKeys(context, claimed).catch((error: unknown) =>
        logger.warn('could not mark dedup records done; they stay pending until the grace ends', {
          error: describe(error),
          keys: claimed,
        }),
      )
    try {
      if (request.deliveryId !== undefined) {
        const key = `delivery:${request.deliveryId}`
        if (!(await claimDedupKey(context, key, 'delivery'))) return 'duplicate-delivery'
        claimed.push(key)
      }
      if (request.jobId !== undefined) {
        const key = `job:${request.jobId}`
        if (!(await claimDedupKey(context, key, 'job'))) {
          await settle()
          return 'duplicate-job'
        }
        claimed.push(key)
      }
      await ensureRouting(db, request.flavour)
      await db
        .collection(MESSAGES)
        .insertOne({ payload, queue: request.flavour, priority: STORED_PRIORITY }, { writeConcern })
    } catch (error) {
      await releaseDedupKeys(context, claimed).catch((releaseError: unknown) =>
        logger.warn('could not release dedup records of a failed publish', {
          error: describe(releaseError),
          keys: claimed,
        }),
      )
      throw error
    }
    await settle()
    return 'queued'
  }

  function describe(error: unknown): string {
    const text = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return redactSecrets(text ?? '', secrets)
  }

  return {
    kind: 'mongodb',
    location,

    migrate(callOptions) {
      return run(
        'cannot migrate',
        async (db) => {
          await db
            .collection(MESSAGES)
            .createIndex(
              { queue: 1, priority: 1, _id: 1 },
              { name: 'queue_1_priority_1__id_1', background: true },
            )
          await db
            .collection(ROUTING)
            .createIndex({ queue: 1, exchange: 1 }, { name: 'queue_1_exchange_1' })
          await ensureTtlIndex(db, Math.max(1, Math.ceil(retentionMs / 1000)))
        },
        callOptions,
        // Building an index over an existing backlog can take a while; it runs before a restart.
        Math.max(operationTimeoutMs, MIGRATE_TIMEOUT_MS),
      )
    },

    async publish(request, callOptions) {
      const outcome = await run('cannot publish to', (db) => publishNow(db, request), callOptions)
      // Not awaited: the answer to GitHub does not wait for housekeeping.
      if (!closed) {
        void pruner.maybePrune((work) => run('cannot prune dedup records of', work, undefined))
      }
      return outcome
    },

    checkWritable(callOptions) {
      return run(
        'cannot write to',
        async (db) => {
          const hello = await db.command({ hello: 1 })
          const writable =
            hello['isWritablePrimary'] === true ||
            hello['ismaster'] === true ||
            hello['msg'] === 'isdbgrid'
          if (!writable) {
            throw new QueueUnavailableError(
              `cannot write to MongoDB queue at ${location}: the server is not a writable primary`,
            )
          }
          // A real write with the publishes' write concern: a primary that cannot reach a
          // majority, a full disk or a user without write rights fails here as a publish would.
          // The probe key is never a delivery or job key; the TTL index expires the record.
          await db
            .collection(DEDUP_COLLECTION)
            .updateOne(
              { _id: 'probe:health' },
              { $set: { kind: 'probe', createdAt: new Date(clock()) } },
              { upsert: true, writeConcern },
            )
        },
        callOptions,
      )
    },

    depth(callOptions) {
      return run(
        'cannot read',
        async (db) => {
          const maxTimeMS = operationTimeoutMs
          const [counts, bindings] = await Promise.all([
            db
              .collection(MESSAGES)
              .aggregate([{ $group: { _id: '$queue', waiting: { $sum: 1 } } }], { maxTimeMS })
              .toArray(),
            db
              .collection(ROUTING)
              .find({}, { projection: { _id: 0, queue: 1 }, maxTimeMS })
              .toArray(),
          ])
          const depth: Record<string, number> = {}
          for (const binding of bindings) {
            if (typeof binding['queue'] === 'string') depth[binding['queue']] = 0
          }
          for (const count of counts) {
            if (typeof count['_id'] === 'string') depth[count['_id']] = Number(count['waiting'])
          }
          return Object.fromEntries(Object.entries(depth).sort(([a], [b]) => a.localeCompare(b)))
        },
        callOptions,
      )
    },

    peek(flavour, limit, callOptions) {
      const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0
      // MongoDB reads limit 0 as "no limit".
      if (count === 0) return run('cannot read', async () => [], callOptions)
      return run(
        'cannot read',
        async (db) => {
          const documents = await db
            .collection(MESSAGES)
            .find(
              { queue: flavour },
              { sort: { priority: 1, _id: 1 }, limit: count, maxTimeMS: operationTimeoutMs },
            )
            .toArray()
          return documents.map((document) => {
            const payload = typeof document['payload'] === 'string' ? document['payload'] : ''
            return {
              id: String(document['_id']),
              flavour,
              body: decodeKombuPayload(payload) ?? payload,
            }
          })
        },
        callOptions,
      )
    },

    async close() {
      await pruner.idle()
      closed = true
      const current = client
      client = undefined
      // An injected client belongs to the caller.
      if (current === undefined || current === options.client) return
      try {
        await current.close()
      } catch (error) {
        throw toMongoQueueError(error, `cannot close MongoDB queue at ${location}`, secrets)
      }
    },
  }

  async function ensureTtlIndex(db: MongoDbLike, expireAfterSeconds: number): Promise<void> {
    const dedup = db.collection(DEDUP_COLLECTION)
    try {
      await dedup.createIndex({ createdAt: 1 }, { name: DEDUP_TTL_INDEX, expireAfterSeconds })
    } catch (error) {
      if (mongoErrorCode(error) === NOT_IMPLEMENTED) {
        // No TTL on this server: the same index without expiry serves the adapter's own pruning.
        await dedup.createIndex({ createdAt: 1 }, { name: DEDUP_TTL_INDEX })
        logger.info(
          'MongoDB server refused the TTL index on the dedup records; the router will delete expired ones itself',
          { collection: DEDUP_COLLECTION, retention_ms: retentionMs },
        )
        return
      }
      if (mongoErrorCode(error) !== INDEX_OPTIONS_CONFLICT) throw error
      // The retention changed since the index was made: change the TTL in place.
      await db.command({
        collMod: DEDUP_COLLECTION,
        index: { name: DEDUP_TTL_INDEX, expireAfterSeconds },
      })
    }
  }
}

/**
 * Keeps dedup records bounded on servers that refuse TTL indexes (FerretDB answers
 * `expireAfterSeconds` with NotImplemented, code 238). `migrate` then creates `createdAt_1`
 * without expiry, and the adapter, seeing no TTL on that index, deletes expired records itself:
 * after a publish, at most once per interval, in batches, one round at a time. Records are only
 * ever added by a publish, so pruning on that schedule bounds them to what the retention plus
 * one interval brings in. On a server with the TTL index the pruner only reads the index once.
 *
 * @module
 */
import type { Document, WriteConcernSettings } from 'mongodb'
import type { Clock, Logger } from '../ports.js'
import type { MongoDbLike } from './mongodb-client.js'
import { mongoErrorCode } from './mongodb-client.js'
import type { DedupContext } from './mongodb-dedup.js'
import { DEDUP_COLLECTION, claimTakeover } from './mongodb-dedup.js'

/** The server does not implement a command or option (FerretDB: TTL indexes, `collMod`). */
export const NOT_IMPLEMENTED = 238
/** `listIndexes` on a collection that does not exist yet. */
const NAMESPACE_NOT_FOUND = 26

/** Default pause between two pruning rounds: the cadence of MongoDB's own TTL monitor. */
export const DEFAULT_DEDUP_PRUNE_INTERVAL_MS = 60_000
/** Records removed per round at most; a full batch makes the next round due at once. */
export const DEDUP_PRUNE_BATCH = 100

export interface DedupPrunerOptions {
  readonly clock: Clock
  readonly retentionMs: number
  readonly intervalMs: number
  readonly writeConcern: WriteConcernSettings
  /** Tokens for the takeover markers of the records a round removes. */
  readonly newToken: () => string
  readonly logger: Logger
  /** One line about a failed round, free of credentials. */
  readonly describe: (error: unknown) => string
}

/** Runs `work` on the database within the adapter's time bound, mapping driver errors. */
export type WithDatabase = <T>(work: (db: MongoDbLike) => Promise<T>) => Promise<T>

export interface DedupPruner {
  /** Starts a round in the background when one is due; resolves when that round has ended. */
  maybePrune(withDatabase: WithDatabase): Promise<void>
  /** Resolves once no round is running. */
  idle(): Promise<void>
}

type Expiry = 'unknown' | 'ttl-index' | 'pruned-by-router'

export function createDedupPruner(options: DedupPrunerOptions): DedupPruner {
  let expiry: Expiry = 'unknown'
  let nextRoundAt = Number.NEGATIVE_INFINITY
  let running: Promise<void> | undefined

  async function round(db: MongoDbLike, now: number): Promise<void> {
    if (expiry === 'unknown') expiry = await readExpiry(db)
    if (expiry !== 'pruned-by-router') return
    const removed = await pruneOnce(db, now)
    if (removed === DEDUP_PRUNE_BATCH) nextRoundAt = now
  }

  async function readExpiry(db: MongoDbLike): Promise<Expiry> {
    let indexes: Document[]
    try {
      const answer = await db.command({ listIndexes: DEDUP_COLLECTION })
      const batch: unknown = (answer['cursor'] as Document | undefined)?.['firstBatch']
      indexes = Array.isArray(batch) ? (batch as Document[]) : []
    } catch (error) {
      // Nothing stored yet, so nothing to expire: look again next round.
      if (mongoErrorCode(error) === NAMESPACE_NOT_FOUND) return 'unknown'
      throw error
    }
    const ttl = indexes.some(
      (index) =>
        (index['key'] as Document | undefined)?.['createdAt'] !== undefined &&
        typeof index['expireAfterSeconds'] === 'number',
    )
    if (ttl) return 'ttl-index'
    options.logger.info(
      'MongoDB server has no TTL index on the dedup records; the router deletes expired ones itself',
      {
        collection: DEDUP_COLLECTION,
        retention_ms: options.retentionMs,
        every_ms: options.intervalMs,
      },
    )
    return 'pruned-by-router'
  }

  /** Removes up to one batch of expired records; resolves how many it found. */
  async function pruneOnce(db: MongoDbLike, now: number): Promise<number> {
    const collection = db.collection(DEDUP_COLLECTION)
    const expired = { createdAt: { $lt: new Date(now - options.retentionMs) } }
    const found = await collection
      .find(expired, { projection: { _id: 1, kind: 1, token: 1 }, limit: DEDUP_PRUNE_BATCH })
      .toArray()
    if (found.length === 0) return 0
    const context: DedupContext = {
      collection,
      writeConcern: options.writeConcern,
      token: options.newToken(),
      now,
      retentionMs: options.retentionMs,
      pendingGraceMs: options.retentionMs,
      pause: async () => {},
    }
    const removable: unknown[] = []
    for (const record of found) {
      // A record goes only with its takeover marker, so a publish taking it over at the same
      // moment (which needs the same marker) keeps it; markers are never taken over themselves.
      const won =
        record['kind'] === 'takeover' ||
        (await claimTakeover(context, String(record['_id']), record['token']))
      if (won) removable.push(record['_id'])
    }
    if (removable.length > 0) {
      await collection.deleteMany(
        { _id: { $in: removable }, ...expired },
        { writeConcern: options.writeConcern },
      )
    }
    return found.length
  }

  return {
    maybePrune(withDatabase) {
      const now = options.clock()
      if (running !== undefined || now < nextRoundAt) return running ?? Promise.resolve()
      nextRoundAt = now + options.intervalMs
      running = withDatabase((db) => round(db, now))
        .catch((error: unknown) =>
          options.logger.warn('could not delete expired dedup records; trying again later', {
            error: options.describe(error),
            retry_in_ms: options.intervalMs,
          }),
        )
        .finally(() => {
          running = undefined
        })
      return running
    },
    async idle() {
      await running
    },
  }
}

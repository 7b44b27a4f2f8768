/**
 * Dedup records in MongoDB, shared by every router unit on the same database.
 *
 * MongoDB cannot insert the records and the message atomically without a replica-set
 * transaction, so a record is *claimed* (`state: 'pending'`) before the message is inserted and
 * *settled* (`state: 'done'`) after. If the message insert fails the claim is released; if the
 * process dies in between, the pending claim is taken over by the next attempt once it is older
 * than the pending grace period. Either way a redelivery is never refused for a job that was
 * never queued.
 *
 * @module
 */
import type { Document, WriteConcernSettings } from 'mongodb'
import type { MongoCollectionLike } from './mongodb-client.js'
import { DUPLICATE_KEY, mongoErrorCode } from './mongodb-client.js'
import { QueueUnavailableError } from './port.js'

/** Our collection, next to kombu's `messages*` collections; kombu never reads it. */
export const DEDUP_COLLECTION = 'webhook_router.dedup'
export const DEDUP_TTL_INDEX = 'createdAt_1'

/** A record as stored; `_id` is `delivery:<id>`, `job:<id>` or `takeover:<key>:<token>`. */
export interface DedupRecord {
  readonly _id: string
  /** `takeover` marks who won the right to replace a stale record; see {@link claimTakeover}. */
  readonly kind: 'delivery' | 'job' | 'takeover'
  readonly state: 'pending' | 'done'
  /** The publish attempt that owns the record; release and settle only touch their own. */
  readonly token: string
  /** TTL-indexed, so MongoDB deletes the record after the retention (or the pruner does). */
  readonly createdAt: Date
}

export interface DedupContext {
  readonly collection: MongoCollectionLike
  readonly writeConcern: WriteConcernSettings
  readonly token: string
  readonly now: number
  readonly retentionMs: number
  readonly pendingGraceMs: number
  /** Waits a moment before claiming again; see {@link CLAIM_RETRY_PAUSE_MS}. */
  readonly pause: () => Promise<void>
}

/**
 * Records `key` for this publish attempt. Resolves `false` only when a live record holds it (a
 * duplicate); `true` when the key is now ours: freshly inserted, or taken over from a record that
 * has expired (the TTL monitor or the pruner has not removed it yet) or from a stale pending
 * claim. While another router or the pruner is replacing or removing a stale record it waits,
 * and rejects with {@link QueueUnavailableError} (a retryable 503) if that does not end in time.
 */
export async function claimDedupKey(
  context: DedupContext,
  key: string,
  kind: DedupRecord['kind'],
): Promise<boolean> {
  const record: DedupRecord = {
    _id: key,
    kind,
    state: 'pending',
    token: context.token,
    createdAt: new Date(context.now),
  }
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
    if (await insertUnique(context, record)) return true
    const existing = await context.collection.findOne({ _id: key })
    // Removed since our insert (expired, pruned or released): the key is free, insert again.
    if (existing === null) continue
    if (!isReclaimable(existing, context)) return false
    if (await takeOver(context, existing, record)) return true
    // Someone else holds the takeover marker: their record or the removal shows up shortly.
    await context.pause()
  }
  throw new QueueUnavailableError(
    `dedup record ${key} is being replaced by another router or the pruner; redeliver later`,
  )
}

/** Attempts at claiming one key while others replace or remove its stale record. */
const CLAIM_ATTEMPTS = 40
/** Pause between two such attempts; 40 of them stay within the default operation bound. */
export const CLAIM_RETRY_PAUSE_MS = 50

/** Inserts `record`; `false` when its `_id` is taken. The unique `_id` index decides races. */
async function insertUnique(context: DedupContext, record: Document): Promise<boolean> {
  try {
    await context.collection.insertOne(record, { writeConcern: context.writeConcern })
    return true
  } catch (error) {
    if (mongoErrorCode(error) === DUPLICATE_KEY) return false
    throw error
  }
}

/**
 * Takes `existing` over for this attempt, if it wins the record's takeover marker. The update
 * that follows finds nothing when the record has gone meanwhile; the caller then tries again.
 */
async function takeOver(
  context: DedupContext,
  existing: Document,
  record: DedupRecord,
): Promise<boolean> {
  const oldToken: unknown = existing['token']
  if (!(await claimTakeover(context, record._id, oldToken))) return false
  const { _id: _key, ...replacement } = record
  const result = await context.collection.updateOne(
    { _id: record._id, token: oldToken },
    { $set: replacement },
    { writeConcern: context.writeConcern },
  )
  return result.modifiedCount === 1
}

/**
 * Wins the sole right to replace or remove the record `key` while it holds `token`: of several
 * routers, and the pruner, the one that inserts the marker `takeover:<key>:<token>` acts. A
 * unique-index insert is atomic on every server, while a filtered update or delete is not on
 * FerretDB (it reads, then writes by `_id`). Markers expire like any record.
 */
export function claimTakeover(
  context: DedupContext,
  key: string,
  token: unknown,
): Promise<boolean> {
  const marker: DedupRecord = {
    _id: `takeover:${key}:${String(token)}`,
    kind: 'takeover',
    state: 'done',
    token: context.token,
    createdAt: new Date(context.now),
  }
  return insertUnique(context, marker)
}

function isReclaimable(existing: Document, context: DedupContext): boolean {
  const createdAt: unknown = existing['createdAt']
  if (!(createdAt instanceof Date)) return true
  const age = context.now - createdAt.getTime()
  if (age > context.retentionMs) return true
  return existing['state'] === 'pending' && age > context.pendingGraceMs
}

/** Marks this attempt's claims as done: the message is stored (or the job was a duplicate). */
export async function settleDedupKeys(context: DedupContext, keys: string[]): Promise<void> {
  if (keys.length === 0) return
  await context.collection.updateMany(
    { _id: { $in: keys }, token: context.token },
    { $set: { state: 'done' } },
    { writeConcern: context.writeConcern },
  )
}

/** Removes this attempt's claims so a redelivery of the same webhook can queue the job. */
export async function releaseDedupKeys(context: DedupContext, keys: string[]): Promise<void> {
  if (keys.length === 0) return
  await context.collection.deleteMany(
    { _id: { $in: keys }, token: context.token },
    { writeConcern: context.writeConcern },
  )
}

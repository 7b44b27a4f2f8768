/**
 * The slice of the `mongodb` driver the MongoDB adapter uses, as structural types: the real
 * `MongoClient` satisfies them, and unit tests pass a small recording fake instead.
 *
 * @module
 */
import type {
  AggregateOptions,
  CreateIndexesOptions,
  DeleteOptions,
  Document,
  FindOptions,
  InsertOneOptions,
  RunCommandOptions,
  UpdateOptions,
} from 'mongodb'
import { MongoError } from 'mongodb'
import { QueueUnavailableError } from './port.js'
import { redactSecrets } from './mongodb-uri.js'

/** What a write or update reports back; the subset the adapter reads. */
export interface MongoUpdateResultLike {
  readonly matchedCount: number
  readonly modifiedCount: number
}

/** A cursor; the adapter only ever collects it. */
export interface MongoCursorLike {
  toArray(): Promise<Document[]>
}

/** The collection methods the adapter calls. */
export interface MongoCollectionLike {
  insertOne(document: Document, options?: InsertOneOptions): Promise<unknown>
  updateOne(
    filter: Document,
    update: Document,
    options?: UpdateOptions,
  ): Promise<MongoUpdateResultLike>
  updateMany(
    filter: Document,
    update: Document,
    options?: UpdateOptions,
  ): Promise<MongoUpdateResultLike>
  deleteMany(filter: Document, options?: DeleteOptions): Promise<unknown>
  findOne(filter: Document): Promise<Document | null>
  find(filter: Document, options?: FindOptions): MongoCursorLike
  aggregate(pipeline: Document[], options?: AggregateOptions): MongoCursorLike
  createIndex(keys: Document, options?: CreateIndexesOptions): Promise<string>
}

/** The database methods the adapter calls. */
export interface MongoDbLike {
  collection(name: string): MongoCollectionLike
  command(command: Document, options?: RunCommandOptions): Promise<Document>
}

/** A `MongoClient`, or anything shaped like the parts of it the adapter uses. */
export interface MongoClientLike {
  db(name: string): MongoDbLike
  close(): Promise<void>
}

/** MongoDB's duplicate key error code, raised on a unique index violation. */
export const DUPLICATE_KEY = 11000
/** `createIndex` with the same keys but other options (here: a changed TTL). */
export const INDEX_OPTIONS_CONFLICT = 85

/** The server error code of a driver error, if it has one. */
export function mongoErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code: unknown = (error as { code?: unknown }).code
  return typeof code === 'number' ? code : undefined
}

/**
 * Maps a driver error (no server selected, network, timeout, write concern, auth, not primary) to
 * {@link QueueUnavailableError} with a one-line reason free of credentials; anything else (a bug)
 * passes through. The cause is dropped when its message held a credential.
 */
export function toMongoQueueError(
  error: unknown,
  what: string,
  secrets: readonly string[],
): unknown {
  if (error instanceof QueueUnavailableError) return error
  if (!(error instanceof MongoError)) return error
  const firstLine = error.message.split('\n')[0] ?? ''
  const reason = redactSecrets(firstLine, secrets)
  const code = mongoErrorCode(error)
  const message = `${what}: ${error.name}: ${reason}${code === undefined ? '' : ` (code ${code})`}`
  const leaked = redactSecrets(error.message, secrets) !== error.message
  return new QueueUnavailableError(message, leaked ? undefined : { cause: error })
}

/**
 * Settles like `work`, or rejects with {@link QueueUnavailableError} as soon as `signal` aborts.
 * The work itself goes on in the background (a driver call cannot be recalled), so it must leave
 * the store consistent on its own.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  work.catch(() => {})
  if (signal.aborted) return Promise.reject(abortError(signal, what))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what))
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function abortError(signal: AbortSignal, what: string): QueueUnavailableError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError'
  const reason = timedOut ? 'timed out' : 'aborted'
  return new QueueUnavailableError(`${what}: ${reason} waiting for MongoDB`, {
    cause: signal.reason,
  })
}

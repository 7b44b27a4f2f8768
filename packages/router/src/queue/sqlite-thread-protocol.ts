/**
 * The messages between {@link createSqliteThreadQueue} and its writer thread. Both ends are this
 * package, built together, so the shapes are trusted rather than validated.
 *
 * @module
 */
import type { PublishOutcome, PublishRequest, QueuedMessage } from './port.js'
import { QueueUnavailableError } from './port.js'
import type { SqliteSynchronous } from './sqlite-schema.js'

/** What the writer thread needs to open the queue; passed as `workerData`. */
export interface WriterSettings {
  readonly path: string
  readonly dedupRetentionMs: number | undefined
  readonly busyTimeoutMs: number | undefined
  readonly synchronous: SqliteSynchronous | undefined
}

/** A publish, numbered by the main thread so the result finds its caller. */
export interface PublishItem {
  readonly seq: number
  readonly request: PublishRequest
}

/** Operations other than publish; answered one by one. */
export type WriterCall =
  | { readonly op: 'migrate' }
  | { readonly op: 'checkWritable' }
  | { readonly op: 'depth' }
  | { readonly op: 'peek'; readonly flavour: string; readonly limit: number }
  | { readonly op: 'close' }

export type ToWriter =
  | { readonly type: 'publish'; readonly items: readonly PublishItem[] }
  | { readonly type: 'call'; readonly id: number; readonly call: WriterCall }

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly name: string
  readonly message: string
}

export type PublishResult =
  | { readonly seq: number; readonly outcome: PublishOutcome }
  | { readonly seq: number; readonly error: WireError }

export type CallValue = void | Record<string, number> | QueuedMessage[]

export type FromWriter =
  | { readonly type: 'published'; readonly results: readonly PublishResult[] }
  | { readonly type: 'answer'; readonly id: number; readonly value: CallValue }
  | { readonly type: 'answer'; readonly id: number; readonly error: WireError }

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: 'Error', message: String(error) }
}

/**
 * Rebuilds an error on the main thread. The writer maps every store failure to
 * {@link QueueUnavailableError} before it crosses, so that is the class callers can test for.
 */
export function fromWireError(wire: WireError): Error {
  if (wire.name === 'QueueUnavailableError') return new QueueUnavailableError(wire.message)
  const error = new Error(wire.message)
  error.name = wire.name
  return error
}

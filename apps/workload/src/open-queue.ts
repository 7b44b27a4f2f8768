import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import {
  createAmqpQueue,
  createSqliteDedupLedger,
  type AmqpQueue,
  createMongoQueue,
  createSqliteQueue,
  createSqliteThreadQueue,
  type JobQueue,
  type Logger,
} from '@webhook-router/router'
import type { StreamConfig, WorkloadConfig } from './config.js'

/** Opens the queue the configuration names; injected into commands so tests use a memory queue. */
export type QueueOpener = (
  config: WorkloadConfig,
  mode: QueueOpenMode,
  options: QueueOpenOptions,
) => Promise<JobQueue>

export interface QueueOpenOptions {
  /**
   * How long dedup records live. Every command must pass the same value as `serve`: MongoDB's TTL
   * index is created with it, and a different value on a later `migrate` conflicts.
   */
  readonly dedupRetentionMs: number
  readonly logger?: Logger | undefined
  /**
   * Runs the SQLite writes on a worker thread, off the event loop that serves webhooks. `serve`
   * sets it; one-shot commands do not need the thread.
   */
  readonly writerThread?: boolean | undefined
}

/**
 * `create` may create the SQLite file and its folder (serve, migrate); `existing` refuses a file
 * that is not there, so a read-only command never leaves an empty queue behind a typo.
 */
export type QueueOpenMode = 'create' | 'existing'

/** The queue is not where the configuration says; the message is safe to print. */
export class QueueMissingError extends Error {
  override readonly name = 'QueueMissingError'
}

/**
 * MongoDB when `MONGODB_DB_CONNECT_STRING` is set, otherwise the embedded SQLite file.
 *
 * @example
 * const queue = await openConfiguredQueue(config, 'create', { dedupRetentionMs: 7 * 86_400_000 })
 */
export const openConfiguredQueue: QueueOpener = async (config, mode, options) => {
  const { dedupRetentionMs, logger, writerThread } = options
  if (config.mongodbUri !== undefined) {
    return createMongoQueue({
      uri: config.mongodbUri,
      dedupRetentionMs,
      ...(logger ? { logger } : {}),
    })
  }
  const path = resolve(config.queuePath)
  if (mode === 'existing' && !existsSync(path)) {
    throw new QueueMissingError(
      `No SQLite queue at ${path}. Run 'webhook-router migrate' (or 'serve') first, or set APP_QUEUE_PATH.`,
    )
  }
  mkdirSync(dirname(path), { recursive: true })
  const sqliteOptions = { path, dedupRetentionMs, synchronous: config.queueSynchronous }
  return writerThread ? createSqliteThreadQueue(sqliteOptions) : createSqliteQueue(sqliteOptions)
}

/** Opens the gateway stream the configuration names; injected so tests can count its calls. */
export type StreamOpener = (config: StreamConfig, options: QueueOpenOptions) => AmqpQueue

/**
 * The RabbitMQ stream at `RABBITMQ_CONNECT_STRING`, with its dedup records in the SQLite file at
 * `APP_STREAM_DEDUP_PATH`. Nothing connects until the first call.
 *
 * @example
 * const stream = openConfiguredStream(config, { dedupRetentionMs: 7 * 86_400_000 })
 * await stream.migrate() // declares the exchange
 */
export const openConfiguredStream: StreamOpener = (config, options) => {
  const uri = config.rabbitmqUri
  if (uri === undefined) throw new Error('RABBITMQ_CONNECT_STRING is not set')
  return createAmqpQueue({
    uri,
    dedup: createSqliteDedupLedger({
      path: resolve(config.dedupPath),
      retentionMs: options.dedupRetentionMs,
    }),
    refuseUnroutable: config.refuseUnroutable,
    ...(options.logger ? { logger: options.logger } : {}),
  })
}

/**
 * The queue port: one interface, several adapters (SQLite by default, MongoDB in production,
 * in-memory for tests). An adapter stores kombu-compatible messages, so that kombu's
 * `SimpleQueue(flavour).get()` returns the job JSON text unchanged, and it keeps the dedup
 * records in the same store, so dedup survives restarts and is shared by every router unit
 * that uses that store.
 */

/** The job as the kombu consumer reads it: `{"labels":[...],"status":"queued","url":...}`. */
/**
 * How long a store remembers delivery and job ids unless told otherwise: GitHub lets deliveries
 * from the past 3 days be redelivered. One default for every adapter.
 */
export const DEFAULT_DEDUP_RETENTION_MS = 3 * 24 * 60 * 60 * 1000

export interface QueuedJob {
  readonly labels: readonly string[]
  readonly status: 'queued'
  readonly url: string
}

/** One job to publish, with the keys that make publishing idempotent. */
export interface PublishRequest {
  /** The flavour, which is also the kombu queue name. */
  readonly flavour: string
  readonly job: QueuedJob
  /** `X-GitHub-Delivery`; the same on every redelivery of one webhook. */
  readonly deliveryId?: string | undefined
  /** `workflow_job.id`; GitHub sends `queued` twice for jobs that wait on an approval. */
  readonly jobId?: number | undefined
}

/**
 * What happened to a publish. `queued` means the message is durably stored (the adapter has had
 * the write acknowledged). Duplicates store nothing new.
 */
export type PublishOutcome = 'queued' | 'duplicate-delivery' | 'duplicate-job'

/** A stored message, as `webhook-router queue peek` shows it. */
export interface QueuedMessage {
  /** Adapter-specific id (SQLite row id, MongoDB ObjectId hex). */
  readonly id: string
  readonly flavour: string
  /** The job JSON text exactly as kombu will hand it to the consumer. */
  readonly body: string
}

/** Options every potentially slow queue operation accepts. */
export interface QueueCallOptions {
  /** Aborted when the caller's time bound runs out; adapters stop waiting and reject. */
  readonly signal?: AbortSignal | undefined
}

/**
 * One `workflow_job` webhook as GitHub sent it, for an adapter that forwards whole webhooks (the
 * RabbitMQ stream Canonical's planner reads) rather than routed jobs. Every action comes here,
 * not only `queued`, and no flavour is involved.
 */
export interface WebhookPublishRequest {
  /** The request body, byte for byte. */
  readonly body: Uint8Array
  /** A request header by lowercase name, as the webhook endpoint received it. */
  readonly header: (name: string) => string | undefined
  /** `workflow_job` action (`queued`, `in_progress`, `completed`, `waiting`). */
  readonly action: string
  /** `X-GitHub-Delivery`; the same on every redelivery of one webhook. */
  readonly deliveryId?: string | undefined
  /** `workflow_job.id`; with the action, the job-level dedup key. */
  readonly jobId?: number | undefined
}

/**
 * A queue adapter. `Request` is what it stores: a routed job (`PublishRequest`, the kombu
 * adapters) or a whole webhook (`WebhookPublishRequest`, the AMQP adapter). Everything else,
 * outcomes, errors and bounds included, is the same contract.
 */
export interface JobQueue<Request = PublishRequest> {
  /** Which adapter this is, for logs and `webhook-router queue`. */
  readonly kind: 'sqlite' | 'mongodb' | 'memory' | 'amqp'
  /** Where it stores, with any credentials redacted; safe to log. */
  readonly location: string
  /** Creates tables, collections and indexes. Idempotent; the charm runs it before every restart. */
  migrate(options?: QueueCallOptions): Promise<void>
  /** Dedups by delivery id and job id, then stores the message, atomically as far as the store allows. */
  publish(request: Request, options?: QueueCallOptions): Promise<PublishOutcome>
  /**
   * Resolves once a real write (a probe record, deleted or expiring) was committed the way a
   * publish is, so a read-only store, a full disk, a lock or a deleted file fail here as a
   * publish would; rejects with the reason otherwise. A check that writes nothing is not enough.
   * The AMQP stream, which keeps no records, resolves while its connection and confirm channel
   * are open.
   */
  checkWritable(options?: QueueCallOptions): Promise<void>
  /** Messages waiting per flavour (visible to kombu consumers), or per broker queue (AMQP). */
  depth(options?: QueueCallOptions): Promise<Record<string, number>>
  /** The oldest waiting messages of one flavour, without consuming them. */
  peek(flavour: string, limit: number, options?: QueueCallOptions): Promise<QueuedMessage[]>
  /** Releases connections and file handles. Safe to call twice. */
  close(): Promise<void>
}

/** Raised by adapters when the store cannot take the operation now (down, locked, timed out). */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

import type { Clock } from '../ports.js'
import { serialiseJob } from './kombu-envelope.js'
import { QueueUnavailableError } from './port.js'
import type {
  JobQueue,
  PublishOutcome,
  PublishRequest,
  QueueCallOptions,
  QueuedMessage,
} from './port.js'

/**
 * How the memory queue behaves, so tests can reach every path without sleeping:
 * `available` works; `unavailable` rejects at once with `QueueUnavailableError`; `hang` never
 * settles on its own and rejects only when the caller's signal aborts (a store that stopped
 * answering).
 */
export type MemoryQueueMode = 'available' | 'unavailable' | 'hang'

export interface MemoryQueueOptions {
  readonly clock?: Clock | undefined
  /** How long delivery and job ids are remembered; 7 days by default. */
  readonly dedupRetentionMs?: number | undefined
}

/** An in-memory `JobQueue` with the controls tests need. */
export interface MemoryQueue extends JobQueue {
  readonly kind: 'memory'
  /** Switches between `available` and `unavailable`. */
  setAvailable(available: boolean): void
  setMode(mode: MemoryQueueMode): void
  /** Every stored message, oldest first, optionally of one flavour. */
  messages(flavour?: string): QueuedMessage[]
  /** Removes and returns the oldest message of a flavour, as a kombu consumer would. */
  take(flavour: string): QueuedMessage | undefined
}

const weekMs = 7 * 24 * 60 * 60 * 1000

/**
 * Creates an in-memory queue: the same dedup rules as the durable adapters (delivery id first,
 * then job id, both remembered for `dedupRetentionMs`), and the same message body text, but
 * nothing survives the process.
 *
 * @example
 * ```ts
 * const queue = createMemoryQueue()
 * const app = createRouter({ config, queue })
 * queue.setMode('hang') // the next publish times out into a 503
 * ```
 */
export function createMemoryQueue(options: MemoryQueueOptions = {}): MemoryQueue {
  const clock = options.clock ?? Date.now
  const retentionMs = options.dedupRetentionMs ?? weekMs
  const deliveries = new Map<string, number>()
  const jobs = new Map<number, number>()
  let stored: QueuedMessage[] = []
  let nextId = 1
  let mode: MemoryQueueMode = 'available'
  let closed = false

  async function ready(call: string, signal: AbortSignal | undefined): Promise<void> {
    if (closed) throw new QueueUnavailableError(`memory queue is closed (${call})`)
    if (signal?.aborted) throw abortError(call, signal)
    if (mode === 'unavailable')
      throw new QueueUnavailableError(`memory queue is unavailable (${call})`)
    if (mode === 'hang') {
      await new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => reject(abortError(call, signal)), { once: true })
      })
    }
  }

  function seen<K>(map: Map<K, number>, key: K | undefined): boolean {
    if (key === undefined) return false
    const expiresAt = map.get(key)
    if (expiresAt === undefined) return false
    if (expiresAt > clock()) return true
    map.delete(key)
    return false
  }

  return {
    kind: 'memory',
    location: 'memory',
    async migrate(call?: QueueCallOptions) {
      await ready('migrate', call?.signal)
    },
    async publish(request: PublishRequest, call?: QueueCallOptions): Promise<PublishOutcome> {
      await ready('publish', call?.signal)
      const { deliveryId, jobId, flavour, job } = request
      if (seen(deliveries, deliveryId)) return 'duplicate-delivery'
      if (seen(jobs, jobId)) return 'duplicate-job'
      const expiresAt = clock() + retentionMs
      if (deliveryId !== undefined) deliveries.set(deliveryId, expiresAt)
      if (jobId !== undefined) jobs.set(jobId, expiresAt)
      stored.push({ id: String(nextId++), flavour, body: serialiseJob(job) })
      return 'queued'
    },
    async checkWritable(call?: QueueCallOptions) {
      await ready('checkWritable', call?.signal)
    },
    async depth(call?: QueueCallOptions) {
      await ready('depth', call?.signal)
      const counts: Record<string, number> = {}
      for (const message of stored) counts[message.flavour] = (counts[message.flavour] ?? 0) + 1
      return counts
    },
    async peek(flavour: string, limit: number, call?: QueueCallOptions) {
      await ready('peek', call?.signal)
      return stored.filter((message) => message.flavour === flavour).slice(0, Math.max(0, limit))
    },
    async close() {
      closed = true
    },
    setAvailable(available: boolean) {
      mode = available ? 'available' : 'unavailable'
    },
    setMode(next: MemoryQueueMode) {
      mode = next
    },
    messages(flavour?: string) {
      return stored.filter((message) => flavour === undefined || message.flavour === flavour)
    },
    take(flavour: string) {
      const message = stored.find((candidate) => candidate.flavour === flavour)
      if (message !== undefined) stored = stored.filter((candidate) => candidate !== message)
      return message
    },
  }
}

function abortError(call: string, signal: AbortSignal): QueueUnavailableError {
  return new QueueUnavailableError(`memory queue ${call} was aborted`, { cause: signal.reason })
}

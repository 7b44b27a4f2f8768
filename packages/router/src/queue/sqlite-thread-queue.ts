/**
 * The SQLite queue with its writes on a worker thread.
 *
 * better-sqlite3 is synchronous, so the inline adapter runs every transaction, its fsync and
 * every WAL checkpoint on the event loop, and each webhook in flight waits behind them. Here the
 * same adapter runs in a writer thread: the event loop only posts publishes (one message per
 * turn) and receives outcomes (one message per batch), and the second core does the SQLite work.
 *
 * @module
 */
import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type {
  JobQueue,
  PublishOutcome,
  PublishRequest,
  QueueCallOptions,
  QueuedMessage,
} from './port.js'
import { QueueUnavailableError } from './port.js'
import type { SqliteQueueOptions } from './sqlite-queue.js'
import type {
  CallValue,
  FromWriter,
  PublishItem,
  ToWriter,
  WriterCall,
  WriterSettings,
} from './sqlite-thread-protocol.js'
import { fromWireError } from './sqlite-thread-protocol.js'

/** Options of {@link createSqliteThreadQueue}. */
export interface SqliteThreadQueueOptions extends Pick<
  SqliteQueueOptions,
  'path' | 'dedupRetentionMs' | 'busyTimeoutMs' | 'synchronous'
> {
  /**
   * The built writer module (`dist/queue/sqlite-thread-worker.js`). Set it when bundling, where
   * the module no longer sits beside this one.
   */
  readonly workerUrl?: URL | undefined
  /**
   * Most publishes that may wait for a writer that has not answered yet. Beyond it a publish is
   * rejected at once with {@link QueueUnavailableError}, so a stalled disk fills no memory.
   * Default 10,000.
   */
  readonly maxBacklog?: number | undefined
}

/** Default of {@link SqliteThreadQueueOptions.maxBacklog}. */
export const DEFAULT_SQLITE_THREAD_BACKLOG = 10_000

// Under vitest this module runs from `src`, and a worker thread cannot load TypeScript, so it
// starts the built writer; `npm test` builds before it tests.
const DEFAULT_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/queue/sqlite-thread-worker.js', import.meta.url)
  : new URL('./sqlite-thread-worker.js', import.meta.url)

interface Waiting<T> {
  settled: boolean
  resolve(value: T): void
  reject(error: unknown): void
  /** Stops listening to the caller's signal. */
  unwatch?: (() => void) | undefined
}

/**
 * A {@link JobQueue} on an SQLite file, like `createSqliteQueue`, whose SQLite work runs on a
 * writer thread started on first use. Use it in servers; the inline adapter suits scripts and
 * tests that inject a clock or scheduler.
 *
 * A publish whose signal aborts before it was handed to the thread is never written. Once handed
 * over it may still commit after its caller gave up; GitHub's redelivery then carries the same
 * delivery id and is answered as a duplicate, so the job is queued exactly once. If the thread
 * dies, every operation in progress fails with {@link QueueUnavailableError} and the next one
 * starts a new thread. An idle thread does not keep the process alive.
 *
 * @example
 * const queue = createSqliteThreadQueue({ path: '/var/lib/webhook-router/queue.db' })
 * await queue.publish({ flavour: 'large', job, deliveryId, jobId })
 * await queue.close()
 */
export function createSqliteThreadQueue(options: SqliteThreadQueueOptions): JobQueue {
  const location = resolve(options.path)
  const settings: WriterSettings = {
    path: location,
    dedupRetentionMs: options.dedupRetentionMs,
    busyTimeoutMs: options.busyTimeoutMs,
    synchronous: options.synchronous,
  }
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL
  const maxBacklog = options.maxBacklog ?? DEFAULT_SQLITE_THREAD_BACKLOG
  let worker: Worker | undefined
  let nextId = 0
  const publishes = new Map<number, Waiting<PublishOutcome>>()
  const calls = new Map<number, Waiting<CallValue>>()
  let outbox: PublishItem[] = []
  let flushScheduled = false
  // Publishes handed to the writer and not yet answered. The next batch waits for them, so under
  // load each message carries every publish that arrived during the last commit.
  let inWriter = 0
  const idleWaiters: (() => void)[] = []
  const notifyIdle = () => {
    if (inWriter === 0 && outbox.length === 0) for (const wake of idleWaiters.splice(0)) wake()
  }
  let closing: Promise<void> | undefined

  const pending = () => publishes.size + calls.size
  // A publish leaves `publishes` when it settles (answered, aborted or failed), so an outbox item
  // still listed there is one whose caller is waiting.
  const waitedFor = (item: PublishItem) => publishes.has(item.seq)
  // Referenced only while something waits for it, so an idle queue never holds the process open.
  const updateRef = () => (pending() > 0 ? worker?.ref() : worker?.unref())

  function failAll(error: QueueUnavailableError): void {
    inWriter = 0
    for (const waiting of publishes.values()) settle(waiting, error)
    for (const waiting of calls.values()) settle(waiting, error)
    publishes.clear()
    calls.clear()
    outbox = []
    notifyIdle()
  }

  function settle<T>(waiting: Waiting<T>, error: unknown, value?: T): void {
    if (waiting.settled) return
    waiting.settled = true
    waiting.unwatch?.()
    if (error === undefined) waiting.resolve(value as T)
    else waiting.reject(error)
  }

  function onMessage(message: FromWriter): void {
    if (message.type === 'published') {
      inWriter -= message.results.length
      for (const result of message.results) {
        const waiting = publishes.get(result.seq)
        if (waiting === undefined) continue
        publishes.delete(result.seq)
        if ('outcome' in result) settle(waiting, undefined, result.outcome)
        else settle(waiting, fromWireError(result.error))
      }
      if (inWriter === 0) flush()
      notifyIdle()
    } else {
      const waiting = calls.get(message.id)
      if (waiting !== undefined) {
        calls.delete(message.id)
        if ('error' in message) settle(waiting, fromWireError(message.error))
        else settle(waiting, undefined, message.value)
      }
    }
    updateRef()
  }

  function writer(): Worker {
    if (worker !== undefined) return worker
    const started = new Worker(workerUrl, {
      workerData: settings,
      // The writer needs none of the parent's Node flags, and some (`--input-type`, an `--eval`
      // script) make a worker fail to start. V8 flags are process-wide and still apply.
      execArgv: [],
      // The writer allocates little; a small young generation keeps its memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    })
    const lost = (reason: string) => {
      if (worker !== started) return
      worker = undefined
      failAll(new QueueUnavailableError(`SQLite writer thread for ${location} ${reason}`))
    }
    started.on('message', onMessage)
    started.on('error', (error) => lost(`failed: ${error.message}`))
    started.on('exit', (code) => lost(`exited with code ${code}`))
    worker = started
    return started
  }

  function post(message: ToWriter): void {
    writer().postMessage(message)
    updateRef()
  }

  function flush(): void {
    flushScheduled = false
    if (inWriter > 0) return
    const items = outbox.filter(waitedFor)
    outbox = []
    if (items.length === 0) return
    inWriter = items.length
    post({ type: 'publish', items })
  }

  function request(call: WriterCall, signal?: AbortSignal): Promise<CallValue> {
    return new Promise<CallValue>((resolve, reject) => {
      const id = nextId++
      const waiting: Waiting<CallValue> = { settled: false, resolve, reject }
      if (signal !== undefined) watch(signal, waiting, () => calls.delete(id))
      if (waiting.settled) return
      calls.set(id, waiting)
      post({ type: 'call', id, call })
    })
  }

  // One abort listener per signal, not per call: the router's bound gives every publish of a
  // 50 ms window the same signal, and a long listener list makes each removal a linear scan.
  const watchers = new WeakMap<AbortSignal, Set<() => void>>()

  function watch<T>(signal: AbortSignal, waiting: Waiting<T>, forget: () => void): void {
    const onAbort = () => {
      forget()
      settle(
        waiting,
        new QueueUnavailableError(`SQLite queue at ${location}: aborted while waiting`, {
          cause: signal.reason,
        }),
      )
      updateRef()
    }
    if (signal.aborted) return onAbort()
    let group = watchers.get(signal)
    if (group === undefined) {
      const members = new Set<() => void>()
      watchers.set(signal, members)
      signal.addEventListener('abort', () => members.forEach((abort) => abort()), { once: true })
      group = members
    }
    const members = group
    members.add(onAbort)
    waiting.unwatch = () => members.delete(onAbort)
  }

  const closed = () =>
    Promise.reject(new QueueUnavailableError(`SQLite queue at ${location} is closed`))

  return {
    kind: 'sqlite',
    location,

    async migrate(callOptions?: QueueCallOptions) {
      if (closing) return closed()
      await request({ op: 'migrate' }, callOptions?.signal)
    },

    publish(publishRequest: PublishRequest, callOptions?: QueueCallOptions) {
      if (closing) return closed()
      if (outbox.length >= maxBacklog) {
        // Callers that gave up leave their items behind until the writer answers; drop them.
        outbox = outbox.filter(waitedFor)
        if (outbox.length >= maxBacklog) {
          return Promise.reject(
            new QueueUnavailableError(
              `SQLite queue at ${location}: ${outbox.length} publishes already wait for the writer`,
            ),
          )
        }
      }
      return new Promise<PublishOutcome>((resolve, reject) => {
        const seq = nextId++
        const waiting: Waiting<PublishOutcome> = { settled: false, resolve, reject }
        const signal = callOptions?.signal
        if (signal !== undefined) watch(signal, waiting, () => publishes.delete(seq))
        if (waiting.settled) return
        publishes.set(seq, waiting)
        outbox.push({ seq, request: publishRequest })
        if (!flushScheduled && inWriter === 0) {
          flushScheduled = true
          // One message per turn of the event loop carries every publish of that turn.
          setImmediate(flush)
        }
      })
    },

    async checkWritable(callOptions?: QueueCallOptions) {
      if (closing) return closed()
      await request({ op: 'checkWritable' }, callOptions?.signal)
    },

    async depth(callOptions?: QueueCallOptions) {
      if (closing) return closed()
      return (await request({ op: 'depth' }, callOptions?.signal)) as Record<string, number>
    },

    async peek(flavour: string, limit: number, callOptions?: QueueCallOptions) {
      if (closing) return closed()
      const messages = await request({ op: 'peek', flavour, limit }, callOptions?.signal)
      return messages as QueuedMessage[]
    },

    close() {
      closing ??= (async () => {
        // Every publish accepted before close() reaches the writer before the writer closes.
        flush()
        if (inWriter > 0) await new Promise<void>((wake) => idleWaiters.push(wake))
        if (worker === undefined) return
        const current = worker
        try {
          await request({ op: 'close' })
        } finally {
          worker = undefined
          await current.terminate()
        }
      })()
      return closing
    },
  }
}

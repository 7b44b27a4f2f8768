/**
 * The writer thread of {@link createSqliteThreadQueue}: an ordinary {@link createSqliteQueue}
 * (group commit, bounded lock waits, kombu layout) driven by messages. Publishes that arrive
 * while a transaction runs share the next one, and their results go back in one message per
 * turn of this thread's event loop, so the main thread pays one message per batch each way.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { JobQueue } from './port.js'
import { createSqliteQueue } from './sqlite-queue.js'
import type {
  CallValue,
  FromWriter,
  PublishResult,
  ToWriter,
  WriterCall,
  WriterSettings,
} from './sqlite-thread-protocol.js'
import { toWireError } from './sqlite-thread-protocol.js'

if (parentPort === null) throw new Error('sqlite-thread-worker must run as a worker thread')
const port = parentPort
const settings = workerData as WriterSettings

const queue = createSqliteQueue({
  path: settings.path,
  ...(settings.dedupRetentionMs === undefined
    ? {}
    : { dedupRetentionMs: settings.dedupRetentionMs }),
  ...(settings.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: settings.busyTimeoutMs }),
  ...(settings.synchronous === undefined ? {} : { synchronous: settings.synchronous }),
})

let results: PublishResult[] = []
let replyScheduled = false

function send(message: FromWriter): void {
  port.postMessage(message)
}

function flushResults(): void {
  replyScheduled = false
  if (results.length === 0) return
  const batch = results
  results = []
  send({ type: 'published', results: batch })
}

function reply(result: PublishResult): void {
  results.push(result)
  if (replyScheduled) return
  replyScheduled = true
  setImmediate(flushResults)
}

function call(queue: JobQueue, request: WriterCall): Promise<CallValue> {
  switch (request.op) {
    case 'migrate':
      return queue.migrate()
    case 'checkWritable':
      return queue.checkWritable()
    case 'depth':
      return queue.depth()
    case 'peek':
      return queue.peek(request.flavour, request.limit)
    case 'close':
      return queue.close()
  }
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'publish') {
    for (const { seq, request } of message.items) {
      queue.publish(request).then(
        (outcome) => reply({ seq, outcome }),
        (error: unknown) => reply({ seq, error: toWireError(error) }),
      )
    }
    return
  }
  const { id } = message
  call(queue, message.call).then(
    (value) => {
      if (message.call.op !== 'close') return send({ type: 'answer', id, value })
      // The drained publishes' results go out first, so no caller is left without one.
      setImmediate(() => {
        flushResults()
        send({ type: 'answer', id, value })
      })
    },
    (error: unknown) => send({ type: 'answer', id, error: toWireError(error) }),
  )
})

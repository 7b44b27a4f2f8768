import { parseArgs } from 'node:util'
import { parseRouterConfig, type AmqpBrokerView, type JobQueue } from '@webhook-router/router'
import type { CommandIo } from './types.js'
import { EXIT } from '../exit-codes.js'
import {
  openConfiguredQueue,
  openConfiguredStream,
  QueueMissingError,
  type QueueOpener,
  type StreamOpener,
} from '../open-queue.js'
import { HELP_OPTION, parseCommandArgs, UsageError, usageMessage } from './args.js'
import { failWith } from './failure.js'
import { dedupRetentionMs, loadStreamConfig, loadWorkloadConfig } from './load-config.js'
import type { Command } from './types.js'

const HELP = `Usage: webhook-router queue [--json]
       webhook-router queue peek <flavour> [--limit N] [--json]

'queue' prints how many jobs wait in each flavour's queue (every configured flavour, plus any
other queue that holds messages). 'queue peek' prints the job JSON of the oldest waiting
messages of one flavour, one per line, without consuming them.

With RABBITMQ_CONNECT_STRING (publishing modes stream and both), 'queue' also shows the broker
side: whether the exchange github-workflow-jobs is declared, and the messages and consumers of
the planner's queue github-workflow-jobs and its dead-letter queue github-workflow-jobs-dlq.
'peek' reads the kombu queues only: a broker queue cannot be read without consuming it.

Options:
  --limit <N>  how many messages peek prints, 1 to 1000 (default 10)
  --json       depth: one JSON object; peek: one JSON array of {id, flavour, job}
  -h, --help   show this help

Exit codes: 0 done, 1 invalid configuration or the queue is unreachable, 2 usage error.`

const QUEUE_CALL_TIMEOUT_MS = 10_000
const DEFAULT_PEEK_LIMIT = 10
const MAX_PEEK_LIMIT = 1000

/**
 * Builds `webhook-router queue`.
 *
 * @example
 * const command = createQueueCommand(async () => queue)
 */
export function createQueueCommand(
  openQueue: QueueOpener = openConfiguredQueue,
  openStream: StreamOpener = openConfiguredStream,
): Command {
  return {
    name: 'queue',
    summary: "Show queue depth per flavour, or peek at a flavour's waiting jobs",
    help: HELP,
    async run(io) {
      const { values, positionals } = parseCommandArgs('queue', 2, () =>
        parseArgs({
          args: [...io.argv],
          options: { ...HELP_OPTION, limit: { type: 'string' }, json: { type: 'boolean' } },
          strict: true,
          allowPositionals: true,
        }),
      )
      if (values.help) {
        io.stdout(HELP)
        return EXIT.ok
      }
      const [sub, flavour] = positionals
      if (sub !== undefined && sub !== 'peek') {
        throw new UsageError(usageMessage('queue', `unknown subcommand '${sub}'`))
      }
      if (sub === 'peek' && flavour === undefined) {
        throw new UsageError(usageMessage('queue', 'peek needs a flavour'))
      }
      if (sub === undefined && values.limit !== undefined) {
        throw new UsageError(usageMessage('queue', '--limit only applies to peek'))
      }
      const limit = parseLimit(values.limit)
      const config = loadWorkloadConfig(io)
      if (!config) return EXIT.failure
      const streamConfig = loadStreamConfig(io)
      if (!streamConfig) return EXIT.failure
      if (streamConfig.mode === 'stream' && flavour !== undefined) {
        io.stderr(
          "webhook-router queue: peek reads the kombu queues, and the publishing mode is 'stream': a RabbitMQ queue cannot be read without consuming it",
        )
        return EXIT.failure
      }
      let broker: AmqpBrokerView | undefined
      if (streamConfig.mode !== 'kombu' && flavour === undefined) {
        let stream
        try {
          stream = openStream(streamConfig, { dedupRetentionMs: dedupRetentionMs(io.env) })
          broker = await stream.inspect({ signal: AbortSignal.timeout(QUEUE_CALL_TIMEOUT_MS) })
        } catch (error) {
          return failWith(io, 'queue', 'cannot read the RabbitMQ stream', error)
        } finally {
          await stream?.close()
        }
        if (streamConfig.mode === 'stream') {
          printBroker(io, broker, values.json === true)
          return EXIT.ok
        }
      }

      let queue: JobQueue
      try {
        queue = await openQueue(config, 'existing', { dedupRetentionMs: dedupRetentionMs(io.env) })
      } catch (error) {
        if (error instanceof QueueMissingError) {
          io.stderr(`webhook-router queue: ${error.message}`)
          return EXIT.failure
        }
        return failWith(io, 'queue', 'cannot open the queue', error)
      }
      try {
        const signal = AbortSignal.timeout(QUEUE_CALL_TIMEOUT_MS)
        if (flavour !== undefined) {
          printPeek(io, await queue.peek(flavour, limit, { signal }), values.json === true)
        } else if (broker && values.json === true) {
          const depth = withConfiguredFlavours(io, await queue.depth({ signal }))
          io.stdout(JSON.stringify({ kombu: depth, broker }))
        } else {
          printDepth(io, await queue.depth({ signal }), values.json === true)
          if (broker) printBroker(io, broker, false)
        }
        return EXIT.ok
      } catch (error) {
        return failWith(
          io,
          'queue',
          `cannot read the ${queue.kind} queue at ${queue.location}`,
          error,
        )
      } finally {
        await queue.close()
      }
    },
  }
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PEEK_LIMIT
  const limit = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(limit >= 1 && limit <= MAX_PEEK_LIMIT)) {
    throw new UsageError(
      usageMessage(
        'queue',
        `--limit must be an integer from 1 to ${MAX_PEEK_LIMIT}, got '${text}'`,
      ),
    )
  }
  return limit
}

function withConfiguredFlavours(io: CommandIo, stored: Record<string, number>) {
  const depth: Record<string, number> = {}
  // Configured flavours first and always shown, so an empty queue reads as 0, not as missing.
  for (const name of configuredFlavours(io.env)) depth[name] = 0
  for (const [name, count] of Object.entries(stored)) depth[name] = count
  return depth
}

function printBroker(io: CommandIo, view: AmqpBrokerView, json: boolean): void {
  if (json) {
    io.stdout(JSON.stringify(view))
    return
  }
  io.stdout(
    `exchange ${view.exchange}: ${view.exchangeDeclared ? 'declared' : "not declared (run 'webhook-router migrate')"}`,
  )
  const width = Math.max('QUEUE'.length, ...view.queues.map((q) => q.name.length))
  io.stdout(`${'QUEUE'.padEnd(width)}  WAITING  CONSUMERS`)
  for (const q of view.queues) {
    const row =
      q.messages === undefined
        ? 'not declared'
        : `${String(q.messages).padEnd('WAITING'.length)}  ${q.consumers ?? 0}`
    io.stdout(`${q.name.padEnd(width)}  ${row}`)
  }
}

function printDepth(io: CommandIo, stored: Record<string, number>, json: boolean): void {
  const depth = withConfiguredFlavours(io, stored)
  if (json) {
    io.stdout(JSON.stringify(depth))
    return
  }
  const names = Object.keys(depth)
  if (names.length === 0) {
    io.stdout('no flavours configured and no messages waiting')
    return
  }
  const width = Math.max('FLAVOUR'.length, ...names.map((n) => n.length))
  io.stdout(`${'FLAVOUR'.padEnd(width)}  WAITING`)
  for (const name of names) io.stdout(`${name.padEnd(width)}  ${depth[name]}`)
}

function printPeek(
  io: CommandIo,
  messages: Awaited<ReturnType<JobQueue['peek']>>,
  json: boolean,
): void {
  if (json) {
    const rows = messages.map((m) => ({ id: m.id, flavour: m.flavour, job: parseOrText(m.body) }))
    io.stdout(JSON.stringify(rows))
    return
  }
  for (const message of messages) io.stdout(message.body)
  // stderr, so a script reading stdout still sees an empty list.
  if (messages.length === 0) io.stderr('no messages waiting')
}

function parseOrText(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return body
  }
}

/** The configured flavour names, or none when the routing settings are absent or invalid. */
function configuredFlavours(env: CommandIo['env']): string[] {
  try {
    return parseRouterConfig(env).flavours.map((f) => f.name)
  } catch {
    return []
  }
}

/** `webhook-router queue` on the configured queue. */
export const queueCommand: Command = createQueueCommand()

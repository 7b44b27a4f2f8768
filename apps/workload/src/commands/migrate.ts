import { parseArgs } from 'node:util'
import { EXIT } from '../exit-codes.js'
import {
  openConfiguredQueue,
  openConfiguredStream,
  type QueueOpener,
  type StreamOpener,
} from '../open-queue.js'
import { GATEWAY_EXCHANGE } from '@webhook-router/router'
import { HELP_OPTION, parseCommandArgs } from './args.js'
import { dedupRetentionMs, loadStreamConfig, loadWorkloadConfig } from './load-config.js'
import { failWith } from './failure.js'
import type { Command } from './types.js'

const HELP = `Usage: webhook-router migrate

Creates the queue's tables (SQLite, at APP_QUEUE_PATH) or collections and indexes (MongoDB, when
MONGODB_DB_CONNECT_STRING is set). With RABBITMQ_CONNECT_STRING (publishing modes stream and
both) it declares the exchange github-workflow-jobs (durable, direct), the one thing the router
owns on the broker; the planner declares its queue and binds it. In the stream mode no kombu
queue is created. Idempotent: the charm runs it before every restart.

Options:
  -h, --help  show this help

Exit codes: 0 done, 1 invalid configuration or the queue is unreachable, 2 usage error.`

/** Bound on one migration, so a hook never hangs on an unreachable database. */
const MIGRATE_TIMEOUT_MS = 30_000

/**
 * Builds `webhook-router migrate`.
 *
 * @example
 * const command = createMigrateCommand(async () => createMemoryQueue())
 */
export function createMigrateCommand(
  openQueue: QueueOpener = openConfiguredQueue,
  openStream: StreamOpener = openConfiguredStream,
): Command {
  return {
    name: 'migrate',
    summary: 'Create the queue tables and indexes (idempotent)',
    help: HELP,
    async run(io) {
      const { values } = parseCommandArgs('migrate', 0, () =>
        parseArgs({ args: [...io.argv], options: HELP_OPTION, strict: true }),
      )
      if (values.help) {
        io.stdout(HELP)
        return EXIT.ok
      }
      const config = loadWorkloadConfig(io)
      if (!config) return EXIT.failure
      const streamConfig = loadStreamConfig(io)
      if (!streamConfig) return EXIT.failure
      const retention = { dedupRetentionMs: dedupRetentionMs(io.env) }
      if (streamConfig.mode !== 'stream') {
        let queue
        try {
          queue = await openQueue(config, 'create', retention)
        } catch (error) {
          return failWith(io, 'migrate', 'cannot open the queue', error)
        }
        try {
          await queue.migrate({ signal: AbortSignal.timeout(MIGRATE_TIMEOUT_MS) })
          io.stdout(
            `migrated the ${queue.kind} queue at ${queue.location}: tables and indexes are in place`,
          )
        } catch (error) {
          return failWith(
            io,
            'migrate',
            `cannot migrate the ${queue.kind} queue at ${queue.location}`,
            error,
          )
        } finally {
          await queue.close()
        }
      }
      if (streamConfig.mode === 'kombu') return EXIT.ok
      let stream
      try {
        stream = openStream(streamConfig, retention)
      } catch (error) {
        return failWith(io, 'migrate', 'cannot open the RabbitMQ stream', error)
      }
      try {
        await stream.migrate({ signal: AbortSignal.timeout(MIGRATE_TIMEOUT_MS) })
        io.stdout(
          `declared the exchange ${GATEWAY_EXCHANGE} (durable, direct) on ${stream.location}; the planner declares and binds its queue`,
        )
        return EXIT.ok
      } catch (error) {
        return failWith(io, 'migrate', `cannot declare the exchange on ${stream.location}`, error)
      } finally {
        await stream.close()
      }
    },
  }
}

/** `webhook-router migrate` on the configured queue. */
export const migrateCommand: Command = createMigrateCommand()

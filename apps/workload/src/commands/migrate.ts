import { parseArgs } from 'node:util'
import { EXIT } from '../exit-codes.js'
import { openConfiguredQueue, type QueueOpener } from '../open-queue.js'
import { HELP_OPTION, parseCommandArgs } from './args.js'
import { dedupRetentionMs, loadWorkloadConfig } from './load-config.js'
import { failWith } from './failure.js'
import type { Command } from './types.js'

const HELP = `Usage: webhook-router migrate

Creates the queue's tables (SQLite, at APP_QUEUE_PATH) or collections and indexes (MongoDB, when
MONGODB_DB_CONNECT_STRING is set). Idempotent: the charm runs it before every restart.

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
export function createMigrateCommand(openQueue: QueueOpener = openConfiguredQueue): Command {
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
      let queue
      try {
        queue = await openQueue(config, 'create', { dedupRetentionMs: dedupRetentionMs(io.env) })
      } catch (error) {
        return failWith(io, 'migrate', 'cannot open the queue', error)
      }
      try {
        await queue.migrate({ signal: AbortSignal.timeout(MIGRATE_TIMEOUT_MS) })
        io.stdout(
          `migrated the ${queue.kind} queue at ${queue.location}: tables and indexes are in place`,
        )
        return EXIT.ok
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
    },
  }
}

/** `webhook-router migrate` on the configured queue. */
export const migrateCommand: Command = createMigrateCommand()

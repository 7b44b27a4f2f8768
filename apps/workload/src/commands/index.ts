import { migrateCommand } from './migrate.js'
import { queueCommand } from './queue.js'
import { redeliverCommand } from './redeliver.js'
import { routeCommand } from './route.js'
import { serveCommand } from './serve.js'
import type { Command } from './types.js'

/** Every `webhook-router` command, in the order the top-level `--help` lists them. */
export const commands: readonly Command[] = [
  serveCommand,
  routeCommand,
  migrateCommand,
  queueCommand,
  redeliverCommand,
]

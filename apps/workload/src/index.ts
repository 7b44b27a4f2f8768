/**
 * @module @webhook-router/workload
 * The `webhook-router` server and CLI. The bin is `dist/cli.js`; these exports let other programs
 * (the charm's tests, embedders) run the same commands in-process and share the config parsing.
 */
export { commands } from './commands/index.js'
export { createMigrateCommand } from './commands/migrate.js'
export { createQueueCommand } from './commands/queue.js'
export { createServeCommand } from './commands/serve.js'
export type { ServeDeps } from './commands/serve.js'
export { routeCommand } from './commands/route.js'
export type { Command, CommandIo } from './commands/types.js'
export {
  LOG_LEVELS,
  parseWorkloadConfig,
  redactSecrets,
  WORKLOAD_DEFAULTS,
  WorkloadConfigError,
} from './config.js'
export type { LogLevel, WorkloadConfig } from './config.js'
export { EXIT } from './exit-codes.js'
export type { ExitCode } from './exit-codes.js'
export { createJsonLogger } from './logger.js'
export type { JsonLoggerOptions, LogSink } from './logger.js'
export { openConfiguredQueue, QueueMissingError } from './open-queue.js'
export type { QueueOpener, QueueOpenMode, QueueOpenOptions } from './open-queue.js'
export { runCli } from './run-cli.js'
export type { CliOptions } from './run-cli.js'

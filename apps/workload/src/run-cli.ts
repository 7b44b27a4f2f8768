import { usageMessage, UsageError } from './commands/args.js'
import type { Command, CommandIo } from './commands/types.js'
import { redactSecrets } from './config.js'
import { EXIT } from './exit-codes.js'

export interface CliOptions {
  readonly commands: readonly Command[]
  /** Runs when no command is given. */
  readonly defaultCommand: string
  readonly version: string
}

/**
 * Picks the command named by the first argument and runs it. Usage errors exit 2 with one line;
 * anything a command throws unexpectedly exits 1 with one redacted line, never a stack.
 *
 * @example
 * const code = await runCli(io, { commands, defaultCommand: 'serve', version: '0.1.0' })
 */
export async function runCli(io: CommandIo, options: CliOptions): Promise<number> {
  const [first, ...rest] = io.argv
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(topLevelHelp(options))
    return EXIT.ok
  }
  if (first === '--version' || first === '-V') {
    io.stdout(options.version)
    return EXIT.ok
  }
  let command: Command | undefined
  if (first === undefined) {
    command = options.commands.find((c) => c.name === options.defaultCommand)
  } else if (first.startsWith('-')) {
    io.stderr(usageMessage('', `unknown option '${first}'`))
    return EXIT.usage
  } else {
    command = options.commands.find((c) => c.name === first)
    if (!command) {
      io.stderr(usageMessage('', `unknown command '${first}'`))
      return EXIT.usage
    }
  }
  if (!command) throw new Error(`default command '${options.defaultCommand}' is not registered`)
  try {
    return await command.run({ ...io, argv: first === undefined ? [] : rest })
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(error.message)
      return EXIT.usage
    }
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`webhook-router ${command.name}: ${redactSecrets(message, io.env).split('\n')[0]}`)
    return EXIT.failure
  }
}

function topLevelHelp(options: CliOptions): string {
  const width = Math.max(...options.commands.map((c) => c.name.length))
  const lines = options.commands.map(
    (c) =>
      `  ${c.name.padEnd(width)}  ${c.summary}${c.name === options.defaultCommand ? ' (default)' : ''}`,
  )
  return [
    'Usage: webhook-router [command] [options]',
    '',
    'Routes GitHub workflow_job webhooks to per-flavour runner queues.',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     Show help (also after any command)',
    '  -V, --version  Print the version',
    '',
    'Configuration comes from the environment (APP_*, MONGODB_DB_CONNECT_STRING);',
    "see 'webhook-router serve --help'.",
    '',
    'Exit codes: 0 ok, 1 failure or invalid configuration, 2 usage error, 3 unroutable (route).',
  ].join('\n')
}

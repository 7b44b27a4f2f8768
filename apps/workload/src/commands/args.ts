/** The command line is wrong; the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** The option every command accepts. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const

/**
 * Runs a `node:util` `parseArgs` call (strict), turning its errors into one-line `UsageError`s
 * that end with a hint to the command's `--help`, and rejecting more than `maxPositionals`.
 *
 * @example
 * const { values } = parseCommandArgs('route', 0, () =>
 *   parseArgs({ args: [...argv], options: { ...HELP_OPTION, json: { type: 'boolean' } }, strict: true }),
 * )
 */
export function parseCommandArgs<T extends { readonly positionals: readonly string[] }>(
  command: string,
  maxPositionals: number,
  parse: () => T,
): T {
  let parsed: T
  try {
    parsed = parse()
  } catch (error) {
    throw new UsageError(usageMessage(command, describeParseError(error)))
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals]
    throw new UsageError(usageMessage(command, `unexpected argument '${extra}'`))
  }
  return parsed
}

/** `webhook-router <command>: <problem>. Run 'webhook-router <command> --help' for usage.` */
export function usageMessage(command: string, problem: string): string {
  const full = command ? `webhook-router ${command}` : 'webhook-router'
  return `${full}: ${problem}. Run '${full} --help' for usage.`
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const unknown = /Unknown option '([^']+)'/.exec(message)
  if (unknown) return `unknown option '${unknown[1]}'`
  const needsValue = /Option '(\S+)(?: <value>)?' argument missing/.exec(message)
  if (needsValue) return `option '${needsValue[1]}' needs a value`
  const positional = /Unexpected argument '([^']+)'/.exec(message)
  if (positional) return `unexpected argument '${positional[1]}'`
  // parseArgs messages can span lines ("To specify an option argument starting with ...").
  return (message.split('\n')[0] ?? message).replace(/\.$/, '')
}

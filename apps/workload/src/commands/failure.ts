import { redactSecrets } from '../config.js'
import { EXIT } from '../exit-codes.js'
import type { CommandIo } from './types.js'

/** Prints `webhook-router <command>: <what>: <reason>` with secrets redacted, and returns exit 1. */
export function failWith(io: CommandIo, command: string, what: string, error: unknown): number {
  const reason = error instanceof Error ? error.message : String(error)
  const line = redactSecrets(`${what}: ${reason}`, io.env).split('\n')[0]
  io.stderr(`webhook-router ${command}: ${line}`)
  return EXIT.failure
}

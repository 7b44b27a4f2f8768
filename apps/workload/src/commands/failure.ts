import { QueueUnavailableError } from '@webhook-router/router'
import { redactSecrets } from '../config.js'
import { EXIT } from '../exit-codes.js'
import type { CommandIo } from './types.js'

/**
 * Prints `webhook-router <command>: <what>: <reason>` with secrets redacted, and returns exit 1.
 * A `QueueUnavailableError` already names the queue and the operation, so it is printed alone.
 */
export function failWith(io: CommandIo, command: string, what: string, error: unknown): number {
  const reason = error instanceof Error ? error.message : String(error)
  const text = error instanceof QueueUnavailableError ? reason : `${what}: ${reason}`
  io.stderr(`webhook-router ${command}: ${redactSecrets(text, io.env).split('\n')[0]}`)
  return EXIT.failure
}

/**
 * A hook tool exited non-zero. `code` is the exit code (1 run-time error, 2 flag or argument
 * error, 127 tool not found); `stderr` is Juju's `ERROR <message>` text.
 */
export class HookToolError extends Error {
  override readonly name: string = 'HookToolError'
  constructor(
    readonly tool: string,
    readonly code: number,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    super(`${tool} failed (exit ${code}): ${stderr.trim().replace(/^ERROR /, '') || 'no message'}`)
  }

  /** Whether Juju refused the call for lack of rights (`permission denied`, `not the leader`, ...). */
  get isAccessDenied(): boolean {
    return /access denied|permission denied|not the leader|cannot write relation settings/i.test(
      this.stderr,
    )
  }
}

/** A `relation-*` or `network-get` tool said `relation not found` (for example a stale `-r` id). */
export class RelationNotFoundError extends HookToolError {
  override readonly name = 'RelationNotFoundError'
}

/** A `secret-*` tool said `not found`. */
export class SecretNotFoundError extends HookToolError {
  override readonly name = 'SecretNotFoundError'
}

/** Any other Juju model error. */
export class ModelError extends HookToolError {
  override readonly name = 'ModelError'
}

/** A hook tool printed something that is not the JSON it documents. */
export class HookToolOutputError extends HookToolError {
  override readonly name = 'HookToolOutputError'
}

/** Classifies a failed call the way ops does (`_wrap_hookcmd`). */
export function hookToolError(
  tool: string,
  code: number,
  stderr: string,
  stdout = '',
): HookToolError {
  if (
    (tool.startsWith('relation-') || tool.startsWith('network-')) &&
    /relation not found/i.test(stderr)
  ) {
    return new RelationNotFoundError(tool, code, stderr, stdout)
  }
  if (tool.startsWith('secret-') && /not found/i.test(stderr)) {
    return new SecretNotFoundError(tool, code, stderr, stdout)
  }
  return new ModelError(tool, code, stderr, stdout)
}

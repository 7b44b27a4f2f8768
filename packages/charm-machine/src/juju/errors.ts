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

/**
 * Whether a failed call means the relation is not there (gone, or a stale id): the one failure a
 * relation read may take as "no data", as ops does. Anything else (a lost controller connection,
 * a tool that died) is a failure of the hook, which Juju retries.
 */
export function isRelationGone(error: unknown): boolean {
  return error instanceof RelationNotFoundError
}

/**
 * Whether a failed `secret-get` means the secret cannot be read by this unit yet or any more:
 * `not found` (gone, or not granted on newer Juju) or `permission denied` (not granted, on the
 * Juju versions before the change to "not found"). Both leave the secret's consumer waiting;
 * any other failure is transient and fails the hook.
 */
export function isSecretUnavailable(error: unknown): boolean {
  return (
    error instanceof SecretNotFoundError ||
    (error instanceof HookToolError &&
      error.tool.startsWith('secret-') &&
      /permission denied/i.test(error.stderr))
  )
}

/** Returns `fallback` when the relation is gone; rethrows any other failure. */
export const whenRelationGone =
  <T>(fallback: T) =>
  (error: unknown): T => {
    if (isRelationGone(error)) return fallback
    throw error
  }

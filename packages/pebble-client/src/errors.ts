/**
 * Typed errors, each carrying its data, mirroring `ops.pebble`'s exceptions (contract §11).
 * Catch `PebbleError` for any of them, or a subclass with `instanceof`.
 */
import type { Change } from './wire.js'

/** Base class of every error this package throws. */
export class PebbleError extends Error {
  override readonly name: string = 'PebbleError'
}

/**
 * Pebble answered with a non-2xx status (§1.3–§1.4). `kind` is only set for the few errors
 * Pebble tags (`not-found`, `no-default-services`, ...).
 *
 * @example
 * try { await client.restart(['nope']) } catch (e) { if (e instanceof APIError) e.statusCode }
 */
export class APIError extends PebbleError {
  override readonly name = 'APIError'
  constructor(
    /** HTTP status code, e.g. 400. */
    readonly statusCode: number,
    /** HTTP status text as Pebble sends it, e.g. `Bad Request`. */
    readonly status: string,
    message: string,
    /** `result.kind` of the error envelope, when present. */
    readonly kind?: string,
    /** The whole decoded response body. */
    readonly body?: unknown,
  ) {
    super(message)
  }
}

/** The socket could not be reached: missing, refused, closed early (§1.1). */
export class ConnectionError extends PebbleError {
  override readonly name = 'ConnectionError'
  constructor(
    message: string,
    /** The socket that was dialled. */
    readonly socketPath?: string,
    /** The underlying system error code, e.g. `ENOENT` or `ECONNREFUSED`. */
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** Pebble sent something that is not the documented protocol. */
export class ProtocolError extends PebbleError {
  override readonly name = 'ProtocolError'
}

/** A per-file error from the files API (§8): kind `not-found`, `permission-denied`, ... */
export class PathError extends PebbleError {
  override readonly name = 'PathError'
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * An awaited change finished with an `err` (§6.2). The message is the change's `err` followed by
 * every task log, so a failed start shows the service's last output.
 */
export class ChangeError extends PebbleError {
  override readonly name = 'ChangeError'
  constructor(
    /** The change's `err` text. */
    readonly err: string,
    /** The whole change, tasks and logs included. */
    readonly change: Change,
  ) {
    super(ChangeError.describe(err, change))
  }

  private static describe(err: string, change: Change): string {
    const logs = (change.tasks ?? []).flatMap((task) =>
      (task.log ?? []).map((line) => `${task.summary}: ${line}`),
    )
    return logs.length === 0 ? err : `${err}\n----- Logs from task(s) -----\n${logs.join('\n')}`
  }
}

/** A wait ran past its deadline (client side, or Pebble's 504 on `/wait`, §6.1). */
export class TimeoutError extends PebbleError {
  override readonly name = 'TimeoutError'
  constructor(
    message: string,
    /** The change being waited for, when there is one. */
    readonly changeId?: string,
  ) {
    super(message)
  }
}

/**
 * An exec'd command exited non-zero (§9.3). Carries everything a caller needs to report it.
 *
 * @example
 * try { await client.exec(['false']) } catch (e) { if (e instanceof ExecError) e.exitCode }
 */
export class ExecError extends PebbleError {
  override readonly name = 'ExecError'
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`non-zero exit code ${exitCode} executing ${JSON.stringify(command)}`)
  }
}

import { Counter, type Registry } from 'prom-client'

/** The part of a writable stream (stdout, stderr) that {@link guardOutput} uses. */
export interface OutputStream {
  write(chunk: string, callback: (error?: Error | null) => void): boolean
  on(event: 'error', listener: (error: Error) => void): unknown
  readonly destroyed: boolean
  readonly writableEnded: boolean
}

/** An output that never throws and never emits an unhandled `'error'`. */
export interface GuardedOutput {
  /** Writes the line and a newline, or drops it when the output fails. */
  readonly writeLine: (line: string) => void
  /** Lines dropped because the output failed (EPIPE, ENOSPC, a closed stream), since the start. */
  readonly failedWrites: () => number
}

/**
 * Wraps stdout or stderr so that a failing output never takes the process down: a reader that
 * closed its end of the pipe (`webhook-router serve | head -n 1`) or a full disk makes Node emit
 * an `'error'` event on the stream, which is fatal when nobody listens. Here every failure is
 * counted and the line dropped; the webhook being answered is not affected.
 *
 * @example
 * const stdout = guardOutput(process.stdout)
 * stdout.writeLine('{"msg":"hello"}')
 * stdout.failedWrites() // 0, or how many lines were lost
 */
export function guardOutput(stream: OutputStream): GuardedOutput {
  let failed = 0
  // One shared callback: a write error reaches it (and the 'error' event, ignored below).
  const afterWrite = (error?: Error | null) => {
    if (error) failed += 1
  }
  stream.on('error', () => {})
  return {
    writeLine(line) {
      if (stream.destroyed || stream.writableEnded) {
        failed += 1
        return
      }
      try {
        stream.write(line + '\n', afterWrite)
      } catch {
        failed += 1
      }
    },
    failedWrites: () => failed,
  }
}

/** Name of the counter of dropped log lines. */
export const logWriteFailuresMetric = 'webhook_router_log_write_failures_total'

/**
 * Exposes `failedWrites` as the counter `webhook_router_log_write_failures_total`, read at scrape
 * time, so an operator sees that logs are being lost while the router keeps serving.
 */
export function registerLogWriteFailures(registry: Registry, failedWrites: () => number): void {
  let reported = 0
  new Counter({
    name: logWriteFailuresMetric,
    help: 'Log lines dropped because stdout or stderr could not be written (EPIPE, ENOSPC).',
    registers: [registry],
    collect() {
      const now = failedWrites()
      if (now > reported) this.inc(now - reported)
      reported = now
    },
  })
}

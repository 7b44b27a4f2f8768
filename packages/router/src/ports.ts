/**
 * The effects the router needs from its host. Everything here is injected through
 * `createRouter(deps)` so that tests run in-process, without sockets, sleeps or globals.
 */

/** Structured fields attached to a log line. Never put secrets or whole payloads here above DEBUG. */
export type LogFields = Record<string, unknown>

/** A minimal structured logger; `apps/workload` writes JSON lines, tests collect into an array. */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/** Milliseconds since the Unix epoch. Injected so dedup expiry and metrics are testable. */
export type Clock = () => number

/** A logger that drops everything: the default for embedders who bring none. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

/** Timer functions, injected so tests can fire a timeout without waiting for it. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The host's real timers. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

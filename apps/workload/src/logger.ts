import type { LogFields, Logger } from '@webhook-router/router'
import type { LogLevel } from './config.js'

/** Receives one finished JSON line (no trailing newline). */
export type LogSink = (line: string) => void

export interface JsonLoggerOptions {
  /** Lines below this level are dropped. */
  readonly level: LogLevel
  /** Defaults to writing the line and a newline to stdout. */
  readonly sink?: LogSink
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  readonly clock?: () => number
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 }
const RESERVED = new Set(['time', 'level', 'msg'])

/**
 * A `Logger` that writes one JSON object per line: `{"time","level","msg",...fields}`, the shape
 * Loki and `jq` read without a parser config. Levels are named like `APP_LOG_LEVEL`
 * (`debug`, `info`, `warning`, `error`).
 *
 * @example
 * const lines: string[] = []
 * const logger = createJsonLogger({ level: 'info', sink: (line) => lines.push(line) })
 * logger.info('listening', { port: 8000 })
 * // {"time":"2026-01-01T00:00:00.000Z","level":"info","msg":"listening","port":8000}
 */
export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const sink = options.sink ?? ((line: string) => process.stdout.write(line + '\n'))
  const clock = options.clock ?? Date.now
  const threshold = RANK[options.level]

  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return
    const record: Record<string, unknown> = { time: new Date(clock()).toISOString(), level, msg }
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        // A field never overwrites the envelope, so every line stays parseable by the same query.
        record[RESERVED.has(key) ? `field_${key}` : key] = value
      }
    }
    sink(stringifyRecord(record))
  }

  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warning', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  }
}

function stringifyRecord(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, replaceUnserialisable)
  } catch {
    // Circular structures must not take the process down; keep the envelope and say why.
    return JSON.stringify({
      time: record['time'],
      level: record['level'],
      msg: record['msg'],
      log_error: 'fields could not be serialised',
    })
  }
}

function replaceUnserialisable(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (typeof value === 'bigint') return value.toString()
  return value
}

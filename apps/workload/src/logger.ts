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

/** A {@link LogSink} that batches lines, and the way to push out what it holds. */
export interface BufferedLogSink {
  readonly sink: LogSink
  /** Writes every buffered line now; call it before the process exits. */
  flush(): void
}

export interface BufferedLogSinkOptions {
  /** When to write what arrived in this turn of the event loop. Default `setImmediate`. */
  readonly schedule?: (flush: () => void) => void
  /** Lines held at most before they are written at once. Default 256. */
  readonly maxLines?: number
}

/**
 * Batches log lines: lines logged in one turn of the event loop reach `write` as one string
 * (lines joined by newlines, no trailing one, like a single {@link LogSink} line), so a busy
 * server makes one write per turn instead of one per request. stdout to a file or pipe is
 * written synchronously on Linux, so this saves a blocking system call per line. Lines are
 * never split.
 *
 * @example
 * const buffered = createBufferedLogSink((text) => process.stdout.write(text + '\n'))
 * const logger = createJsonLogger({ level: 'info', sink: buffered.sink })
 * process.once('exit', buffered.flush)
 */
export function createBufferedLogSink(
  write: LogSink,
  options: BufferedLogSinkOptions = {},
): BufferedLogSink {
  const schedule = options.schedule ?? ((flush: () => void) => void setImmediate(flush))
  const maxLines = options.maxLines ?? 256
  let lines: string[] = []
  let scheduled = false

  const flush = (): void => {
    scheduled = false
    if (lines.length === 0) return
    const text = lines.join('\n')
    lines = []
    try {
      write(text)
    } catch {
      // As with an unbuffered sink: a failing stdout must not take the server down.
    }
  }

  return {
    sink(line) {
      lines.push(line)
      if (lines.length >= maxLines) return flush()
      if (!scheduled) {
        scheduled = true
        schedule(flush)
      }
    },
    flush,
  }
}

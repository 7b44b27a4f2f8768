import * as v from 'valibot'

/** The levels `APP_LOG_LEVEL` accepts (case-insensitive), as paas-charm's `log-level` option spells them. */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The workload's own settings; the routing settings are parsed by `@webhook-router/router`. */
export interface WorkloadConfig {
  readonly logLevel: LogLevel
  readonly host: string
  readonly port: number
  readonly metricsPort: number
  /** SQLite file of the embedded queue; unused when `mongodbUri` is set. */
  readonly queuePath: string
  /**
   * SQLite `synchronous`: `FULL` (default) makes every accepted job survive power loss, at one
   * fsync per group commit (the publishes of one event-loop turn share a transaction); `NORMAL`
   * survives process crashes only, and is about as fast now that fsyncs are shared.
   */
  readonly queueSynchronous: 'FULL' | 'NORMAL'
  /** `MONGODB_DB_CONNECT_STRING`; when set, MongoDB is used instead of SQLite. Never log it. */
  readonly mongodbUri: string | undefined
  /** How long SIGTERM waits for requests in flight; below Pebble's default 5 s kill-delay. */
  readonly shutdownTimeoutMs: number
  /**
   * After SIGTERM, how long the webhook port keeps accepting (every answer with
   * `Connection: close`) before it stops listening, so connections already queued in the
   * kernel, or sent by a proxy that has not yet seen the endpoint go, are answered, not reset.
   */
  readonly shutdownDrainWindowMs: number
  /** Timeouts and caps of the webhook HTTP server; the `APP_HTTP_*` block. */
  readonly http: HttpServerLimits
}

/**
 * Limits of the webhook HTTP server. The defaults suit GitHub, which sends each delivery at once
 * and gives up after 10 s: nothing legitimate needs longer, and slow clients cannot hold memory.
 */
export interface HttpServerLimits {
  /** `APP_HTTP_HEADERS_TIMEOUT_MS`: a request whose headers are not complete by then is dropped (408). */
  readonly headersTimeoutMs: number
  /** `APP_HTTP_REQUEST_TIMEOUT_MS`: a request (headers and body) not received by then is dropped (408). */
  readonly requestTimeoutMs: number
  /** `APP_HTTP_KEEP_ALIVE_TIMEOUT_MS`: an idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number
  /** `APP_HTTP_MAX_CONNECTIONS`: connections beyond it are closed as they arrive. */
  readonly maxConnections: number
  /**
   * `APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT`: request bodies (declared `Content-Length`, or
   * `APP_MAX_BODY_BYTES` when chunked) read at once; later requests wait their turn (TCP
   * back-pressure holds their bytes in the kernel), so a flood of large bodies cannot grow the heap.
   */
  readonly maxBodyBytesInFlight: number
}

/** A setting in the environment is missing or malformed. The message is safe to print as is. */
export class WorkloadConfigError extends Error {
  override readonly name = 'WorkloadConfigError'
}

export const WORKLOAD_DEFAULTS = {
  logLevel: 'info',
  host: '0.0.0.0',
  port: 8000,
  metricsPort: 9102,
  queuePath: './.data/queue.sqlite',
  queueSynchronous: 'FULL',
  shutdownTimeoutMs: 4000,
  shutdownDrainWindowMs: 1000,
  http: {
    headersTimeoutMs: 5000,
    requestTimeoutMs: 10_000,
    keepAliveTimeoutMs: 5000,
    maxConnections: 512,
    maxBodyBytesInFlight: 4 * 1024 * 1024,
  },
} as const satisfies Omit<WorkloadConfig, 'mongodbUri'>

const integerSetting = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, `Invalid '${name}' config. Expected an integer from ${min} to ${max}.`),
    v.transform(Number),
    v.number(),
    v.minValue(min, `Invalid '${name}' config. Expected an integer from ${min} to ${max}.`),
    v.maxValue(max, `Invalid '${name}' config. Expected an integer from ${min} to ${max}.`),
  )

const logLevelSetting = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist(
    LOG_LEVELS,
    `Invalid 'APP_LOG_LEVEL' config. Expected one of ${LOG_LEVELS.join(', ')} (any case).`,
  ),
)

const nonEmpty = (name: string) =>
  v.pipe(v.string(), v.trim(), v.nonEmpty(`Invalid '${name}' config. It must not be empty.`))

// The message never echoes the value: a connection string carries the database password.
const mongodbUriSetting = v.pipe(
  v.string(),
  v.trim(),
  v.regex(
    /^mongodb(\+srv)?:\/\/[^/?#]+/,
    "Invalid 'MONGODB_DB_CONNECT_STRING' config. Expected a mongodb:// or mongodb+srv:// URI.",
  ),
)

const synchronousSetting = v.pipe(
  v.string(),
  v.trim(),
  v.toUpperCase(),
  v.picklist(
    ['FULL', 'NORMAL'],
    "Invalid 'APP_QUEUE_SYNCHRONOUS' config. Expected full or normal.",
  ),
)

const EnvSchema = v.looseObject({
  APP_LOG_LEVEL: v.optional(logLevelSetting),
  APP_HOST: v.optional(nonEmpty('APP_HOST')),
  APP_PORT: v.optional(integerSetting('APP_PORT', 0, 65535)),
  APP_METRICS_PORT: v.optional(integerSetting('APP_METRICS_PORT', 0, 65535)),
  APP_QUEUE_PATH: v.optional(nonEmpty('APP_QUEUE_PATH')),
  APP_QUEUE_SYNCHRONOUS: v.optional(synchronousSetting),
  MONGODB_DB_CONNECT_STRING: v.optional(mongodbUriSetting),
  APP_SHUTDOWN_TIMEOUT_MS: v.optional(integerSetting('APP_SHUTDOWN_TIMEOUT_MS', 0, 600_000)),
  APP_SHUTDOWN_DRAIN_WINDOW_MS: v.optional(
    integerSetting('APP_SHUTDOWN_DRAIN_WINDOW_MS', 0, 600_000),
  ),
  // The webhook HTTP server's limits (HttpServerLimits).
  APP_HTTP_HEADERS_TIMEOUT_MS: v.optional(
    integerSetting('APP_HTTP_HEADERS_TIMEOUT_MS', 100, 600_000),
  ),
  APP_HTTP_REQUEST_TIMEOUT_MS: v.optional(
    integerSetting('APP_HTTP_REQUEST_TIMEOUT_MS', 100, 600_000),
  ),
  APP_HTTP_KEEP_ALIVE_TIMEOUT_MS: v.optional(
    integerSetting('APP_HTTP_KEEP_ALIVE_TIMEOUT_MS', 1, 600_000),
  ),
  APP_HTTP_MAX_CONNECTIONS: v.optional(integerSetting('APP_HTTP_MAX_CONNECTIONS', 1, 1_000_000)),
  APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT: v.optional(
    integerSetting('APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT', 1024, 1024 * 1024 * 1024),
  ),
})

/**
 * Reads the workload's settings from the environment. An empty variable counts as unset, as
 * Juju and `--env-file` both produce empty values for options nobody set.
 *
 * @throws WorkloadConfigError with a one-line message naming the variable (never its value).
 * @example
 * const config = parseWorkloadConfig({ APP_PORT: '8080', APP_LOG_LEVEL: 'DEBUG' })
 * config.port // 8080
 */
export function parseWorkloadConfig(
  env: Readonly<Record<string, string | undefined>>,
): WorkloadConfig {
  const present: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') present[key] = value
  }
  const result = v.safeParse(EnvSchema, present)
  if (!result.success) {
    const issue = result.issues[0]
    throw new WorkloadConfigError(issue.message)
  }
  const out = result.output
  if (out.APP_PORT !== undefined && out.APP_PORT !== 0 && out.APP_PORT === out.APP_METRICS_PORT) {
    throw new WorkloadConfigError(
      `Invalid 'APP_METRICS_PORT' config. It must differ from 'APP_PORT' (${out.APP_PORT}).`,
    )
  }
  const shutdownTimeoutMs = out.APP_SHUTDOWN_TIMEOUT_MS ?? WORKLOAD_DEFAULTS.shutdownTimeoutMs
  const shutdownDrainWindowMs =
    out.APP_SHUTDOWN_DRAIN_WINDOW_MS ??
    Math.min(WORKLOAD_DEFAULTS.shutdownDrainWindowMs, shutdownTimeoutMs)
  if (shutdownDrainWindowMs > shutdownTimeoutMs) {
    throw new WorkloadConfigError(
      `Invalid 'APP_SHUTDOWN_DRAIN_WINDOW_MS' config. It must not exceed 'APP_SHUTDOWN_TIMEOUT_MS' (${shutdownTimeoutMs}).`,
    )
  }
  const http = parseHttpLimits(out)
  return {
    logLevel: out.APP_LOG_LEVEL ?? WORKLOAD_DEFAULTS.logLevel,
    host: out.APP_HOST ?? WORKLOAD_DEFAULTS.host,
    port: out.APP_PORT ?? WORKLOAD_DEFAULTS.port,
    metricsPort: out.APP_METRICS_PORT ?? WORKLOAD_DEFAULTS.metricsPort,
    queuePath: out.APP_QUEUE_PATH ?? WORKLOAD_DEFAULTS.queuePath,
    queueSynchronous: out.APP_QUEUE_SYNCHRONOUS ?? WORKLOAD_DEFAULTS.queueSynchronous,
    mongodbUri: out.MONGODB_DB_CONNECT_STRING,
    shutdownTimeoutMs,
    shutdownDrainWindowMs,
    http,
  }
}

function parseHttpLimits(out: v.InferOutput<typeof EnvSchema>): HttpServerLimits {
  const defaults = WORKLOAD_DEFAULTS.http
  const limits: HttpServerLimits = {
    headersTimeoutMs: out.APP_HTTP_HEADERS_TIMEOUT_MS ?? defaults.headersTimeoutMs,
    requestTimeoutMs: out.APP_HTTP_REQUEST_TIMEOUT_MS ?? defaults.requestTimeoutMs,
    keepAliveTimeoutMs: out.APP_HTTP_KEEP_ALIVE_TIMEOUT_MS ?? defaults.keepAliveTimeoutMs,
    maxConnections: out.APP_HTTP_MAX_CONNECTIONS ?? defaults.maxConnections,
    maxBodyBytesInFlight: out.APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT ?? defaults.maxBodyBytesInFlight,
  }
  // Node refuses a headers timeout longer than the request timeout it is part of.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new WorkloadConfigError(
      `Invalid 'APP_HTTP_HEADERS_TIMEOUT_MS' config. It must not exceed 'APP_HTTP_REQUEST_TIMEOUT_MS' (${limits.requestTimeoutMs}).`,
    )
  }
  return limits
}

/**
 * Replaces every secret the environment holds (webhook secrets, the Mongo URI and its password)
 * in `text`, so that error messages from drivers can be printed safely.
 */
export function redactSecrets(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const secrets: string[] = []
  for (const name of [
    'APP_WEBHOOK_SECRET',
    'APP_WEBHOOK_SECRET_PREVIOUS',
    'MONGODB_DB_CONNECT_STRING',
  ]) {
    const value = env[name]
    if (value) secrets.push(value)
  }
  const uri = env['MONGODB_DB_CONNECT_STRING']
  const password = uri ? /^[^:]+:\/\/[^:@/]*:([^@/]*)@/.exec(uri)?.[1] : undefined
  if (password) secrets.push(password, safeDecode(password))
  let redacted = text
  // Longest first, so a URI is replaced whole before its password is looked for inside it.
  for (const secret of secrets.sort((a, b) => b.length - a.length)) {
    if (secret.length >= 3) redacted = redacted.split(secret).join('***')
  }
  return redacted
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

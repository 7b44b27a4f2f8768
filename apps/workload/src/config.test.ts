import { describe, expect, it } from 'vitest'
import { parseWorkloadConfig, redactSecrets, WorkloadConfigError } from './config.js'

const parseError = (env: Record<string, string | undefined>): string => {
  try {
    parseWorkloadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadConfigError)
    return (error as Error).message
  }
  throw new Error('expected a WorkloadConfigError')
}

describe('parseWorkloadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(parseWorkloadConfig({})).toEqual({
      logLevel: 'info',
      host: '0.0.0.0',
      port: 8000,
      metricsPort: 9102,
      queuePath: './.data/queue.sqlite',
      queueSynchronous: 'FULL',
      mongodbUri: undefined,
      shutdownTimeoutMs: 4000,
      shutdownDrainWindowMs: 1000,
      http: {
        headersTimeoutMs: 5000,
        requestTimeoutMs: 10_000,
        keepAliveTimeoutMs: 5000,
        maxConnections: 512,
        maxBodyBytesInFlight: 4 * 1024 * 1024,
      },
    })
  })

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(
      parseError({ APP_HTTP_HEADERS_TIMEOUT_MS: '9000', APP_HTTP_REQUEST_TIMEOUT_MS: '5000' }),
    ).toBe(
      "Invalid 'APP_HTTP_HEADERS_TIMEOUT_MS' config. It must not exceed 'APP_HTTP_REQUEST_TIMEOUT_MS' (5000).",
    )
  })

  it('refuses a drain window longer than the shutdown timeout, and shortens the default to it', () => {
    expect(
      parseError({ APP_SHUTDOWN_DRAIN_WINDOW_MS: '3000', APP_SHUTDOWN_TIMEOUT_MS: '2000' }),
    ).toBe(
      "Invalid 'APP_SHUTDOWN_DRAIN_WINDOW_MS' config. It must not exceed 'APP_SHUTDOWN_TIMEOUT_MS' (2000).",
    )
    expect(parseWorkloadConfig({ APP_SHUTDOWN_TIMEOUT_MS: '300' }).shutdownDrainWindowMs).toBe(300)
  })

  it.each([
    ['APP_HTTP_HEADERS_TIMEOUT_MS', '50', 'an integer from 100 to 600000'],
    ['APP_HTTP_MAX_CONNECTIONS', '0', 'an integer from 1 to 1000000'],
    ['APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT', 'lots', 'an integer from 1024 to 1073741824'],
  ])('refuses %s=%j with one line', (name, value, expected) => {
    expect(parseError({ [name]: value })).toBe(`Invalid '${name}' config. Expected ${expected}.`)
  })

  it('treats empty variables as unset, as Juju and --env-file produce them', () => {
    expect(parseWorkloadConfig({ APP_PORT: '', APP_LOG_LEVEL: '' }).port).toBe(8000)
  })

  it('reads every variable', () => {
    const config = parseWorkloadConfig({
      APP_LOG_LEVEL: 'debug',
      APP_HOST: '127.0.0.1',
      APP_PORT: '8080',
      APP_METRICS_PORT: '9200',
      APP_QUEUE_PATH: '/var/lib/router/q.sqlite',
      APP_QUEUE_SYNCHRONOUS: 'normal',
      MONGODB_DB_CONNECT_STRING: 'mongodb://u:p@db:27017/github-runner-webhook-router',
      APP_SHUTDOWN_TIMEOUT_MS: '2500',
      APP_SHUTDOWN_DRAIN_WINDOW_MS: '300',
      APP_HTTP_HEADERS_TIMEOUT_MS: '2000',
      APP_HTTP_REQUEST_TIMEOUT_MS: '8000',
      APP_HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      APP_HTTP_MAX_CONNECTIONS: '100',
      APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT: '2097152',
    })
    expect(config).toEqual({
      logLevel: 'debug',
      host: '127.0.0.1',
      port: 8080,
      metricsPort: 9200,
      queuePath: '/var/lib/router/q.sqlite',
      queueSynchronous: 'NORMAL',
      mongodbUri: 'mongodb://u:p@db:27017/github-runner-webhook-router',
      shutdownTimeoutMs: 2500,
      shutdownDrainWindowMs: 300,
      http: {
        headersTimeoutMs: 2000,
        requestTimeoutMs: 8000,
        keepAliveTimeoutMs: 65_000,
        maxConnections: 100,
        maxBodyBytesInFlight: 2_097_152,
      },
    })
  })

  it.each(['DEBUG', 'Info', 'WARNING', 'error', ' warning '])(
    'accepts the paas-charm log level %j in any case',
    (level) => {
      expect(parseWorkloadConfig({ APP_LOG_LEVEL: level }).logLevel).toBe(
        level.trim().toLowerCase(),
      )
    },
  )

  it('rejects an unknown log level and lists the valid ones', () => {
    expect(parseError({ APP_LOG_LEVEL: 'verbose' })).toBe(
      "Invalid 'APP_LOG_LEVEL' config. Expected one of debug, info, warning, error (any case).",
    )
  })

  it.each(['abc', '-1', '65536', '80.5', '1e3'])('rejects the port %j', (port) => {
    expect(parseError({ APP_PORT: port })).toBe(
      "Invalid 'APP_PORT' config. Expected an integer from 0 to 65535.",
    )
  })

  it('rejects a metrics port equal to the webhook port', () => {
    expect(parseError({ APP_PORT: '9000', APP_METRICS_PORT: '9000' })).toMatch(
      /^Invalid 'APP_METRICS_PORT' config\. It must differ from 'APP_PORT'/,
    )
  })

  it('accepts port 0 on both, which asks the OS for free ports', () => {
    const config = parseWorkloadConfig({ APP_PORT: '0', APP_METRICS_PORT: '0' })
    expect([config.port, config.metricsPort]).toEqual([0, 0])
  })

  it('rejects a connection string that is not a MongoDB URI without echoing it', () => {
    const message = parseError({ MONGODB_DB_CONNECT_STRING: 'postgres://user:hunter2@db/x' })
    expect(message).toBe(
      "Invalid 'MONGODB_DB_CONNECT_STRING' config. Expected a mongodb:// or mongodb+srv:// URI.",
    )
    expect(message).not.toContain('hunter2')
  })

  it('rejects an unknown SQLite synchronous mode', () => {
    expect(parseError({ APP_QUEUE_SYNCHRONOUS: 'off' })).toBe(
      "Invalid 'APP_QUEUE_SYNCHRONOUS' config. Expected full or normal.",
    )
  })

  it('rejects a blank host', () => {
    expect(parseError({ APP_HOST: '   ' })).toBe("Invalid 'APP_HOST' config. It must not be empty.")
  })
})

describe('redactSecrets', () => {
  const env = {
    APP_WEBHOOK_SECRET: 'demo-secret',
    MONGODB_DB_CONNECT_STRING: 'mongodb://router:p%40ss@db:27017/x',
  }

  it('hides the webhook secret', () => {
    expect(redactSecrets('bad secret demo-secret here', env)).toBe('bad secret *** here')
  })

  it('hides the whole connection string', () => {
    expect(redactSecrets('cannot reach mongodb://router:p%40ss@db:27017/x', env)).toBe(
      'cannot reach ***',
    )
  })

  it('hides the password alone, encoded or decoded', () => {
    expect(redactSecrets('auth failed for p%40ss and p@ss', env)).toBe(
      'auth failed for *** and ***',
    )
  })
})

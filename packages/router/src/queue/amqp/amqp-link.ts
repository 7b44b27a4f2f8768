/**
 * One connection and one confirm channel per process, kept open: reconnects with exponential
 * backoff on injected timers, and reports "down" at once (never waits for the broker) so every
 * publish and health check answers within its bound.
 *
 * @module
 */
import type { Logger, Timers } from '../../ports.js'
import { QueueUnavailableError } from '../port.js'
import { GATEWAY_EXCHANGE } from './gateway-contract.js'
import type {
  AmqpConfirmChannel,
  AmqpConnect,
  AmqpConnection,
  ReturnedMessage,
} from './transport.js'

export interface AmqpBackoff {
  /** First wait after a failure. */
  readonly initialMs: number
  /** Cap of the doubling waits. */
  readonly maxMs: number
}

export const DEFAULT_AMQP_BACKOFF: AmqpBackoff = { initialMs: 100, maxMs: 5000 }

export interface AmqpLinkOptions {
  readonly uri: string
  /** Password-free form of `uri`, for messages. */
  readonly location: string
  readonly connect: AmqpConnect
  readonly connectTimeoutMs: number
  readonly backoff: AmqpBackoff
  readonly timers: Timers
  readonly logger: Logger
  /** Called for every `basic.return` on the current channel. */
  readonly onReturn: (message: ReturnedMessage) => void
  /** Called when the channel is lost, so publishes waiting for a confirm fail at once. */
  readonly onLost: (reason: string) => void
}

/** What the link is doing now. */
export type AmqpLinkState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open'; readonly blocked: boolean }
  | { readonly kind: 'down'; readonly reason: string; readonly retryInMs: number }
  | { readonly kind: 'closed' }

export interface AmqpLink {
  state(): AmqpLinkState
  /** The open channel, starting a connect if idle; rejects at once while the broker is away. */
  channel(signal?: AbortSignal): Promise<AmqpConfirmChannel>
  /** The open connection, for passive checks on a throwaway channel. */
  connection(signal?: AbortSignal): Promise<AmqpConnection>
  close(): Promise<void>
}

/** Creates the link; it connects on first use and then stays up on its own. */
export function createAmqpLink(options: AmqpLinkOptions): AmqpLink {
  const { timers, logger, backoff } = options
  let state: AmqpLinkState = { kind: 'idle' }
  let current: { connection: AmqpConnection; channel: AmqpConfirmChannel } | undefined
  let connecting: Promise<void> | undefined
  let retryHandle: unknown
  let failures = 0

  function start(): Promise<void> {
    connecting ??= open().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  async function open(): Promise<void> {
    state = { kind: 'connecting' }
    let connection: AmqpConnection | undefined
    try {
      connection = await options.connect(options.uri, options.connectTimeoutMs)
      const opened = connection
      const channel = await opened.createConfirmChannel()
      // Errors arrive again as 'close'; listening keeps them from being thrown as 'error' events.
      opened.on('error', () => {})
      channel.on('error', () => {})
      channel.on('return', options.onReturn)
      await channel.assertExchange(GATEWAY_EXCHANGE, 'direct', { durable: true })
      if (isClosed()) {
        await closeQuietly(opened)
        return
      }
      current = { connection: opened, channel }
      failures = 0
      state = { kind: 'open', blocked: false }
      opened.on('blocked', () => {
        if (current?.connection === opened) state = { kind: 'open', blocked: true }
      })
      opened.on('unblocked', () => {
        if (current?.connection === opened) state = { kind: 'open', blocked: false }
      })
      const lost = (why: string) => () => {
        if (current?.connection !== opened) return
        current = undefined
        void closeQuietly(opened)
        fail(why)
      }
      opened.on('close', lost('the connection to RabbitMQ closed'))
      channel.on('close', lost('the RabbitMQ channel closed'))
      logger.info('connected to RabbitMQ', { location: options.location })
    } catch (error) {
      if (connection) await closeQuietly(connection)
      if (!isClosed()) fail(describe(error))
    }
  }

  function fail(reason: string): void {
    options.onLost(reason)
    if (isClosed()) return
    const retryInMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30))
    failures += 1
    state = { kind: 'down', reason, retryInMs }
    logger.warn('RabbitMQ is unavailable; reconnecting', {
      location: options.location,
      reason,
      retry_in_ms: retryInMs,
    })
    retryHandle = timers.setTimeout(() => {
      retryHandle = undefined
      if (!isClosed()) void start()
    }, retryInMs)
  }

  function isClosed(): boolean {
    return state.kind === 'closed'
  }

  async function ready(signal: AbortSignal | undefined) {
    if (state.kind === 'idle') await abortable(start(), signal)
    else if (state.kind === 'connecting' && connecting) await abortable(connecting, signal)
    const now = state
    if (now.kind === 'open' && current) return current
    if (now.kind === 'closed') throw new QueueUnavailableError('the RabbitMQ publisher is closed')
    const reason = now.kind === 'down' ? now.reason : 'not connected'
    throw new QueueUnavailableError(`RabbitMQ at ${options.location} is unavailable: ${reason}`)
  }

  return {
    state: () => state,
    channel: async (signal) => (await ready(signal)).channel,
    connection: async (signal) => (await ready(signal)).connection,
    async close() {
      if (retryHandle !== undefined) timers.clearTimeout(retryHandle)
      retryHandle = undefined
      state = { kind: 'closed' }
      const open = current
      current = undefined
      if (open) await closeQuietly(open.connection)
      if (connecting) await connecting
    },
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error as Error)
      },
    )
  })
}

async function closeQuietly(connection: AmqpConnection): Promise<void> {
  try {
    await connection.close()
  } catch {
    // Already closed by the broker or the network; nothing left to release.
  }
}

/** One line, never the URI (amqplib's errors do not include it; this keeps it that way). */
export function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.slice(0, 300)
}

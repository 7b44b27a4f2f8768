import { silentLogger, systemTimers } from '../../ports.js'
import type { Logger, Timers } from '../../ports.js'
import { QueueUnavailableError } from '../port.js'
import type {
  JobQueue,
  PublishOutcome,
  QueueCallOptions,
  QueuedMessage,
  WebhookPublishRequest,
} from '../port.js'
import { createAmqpLink, DEFAULT_AMQP_BACKOFF, describe } from './amqp-link.js'
import type { AmqpBackoff, AmqpLinkState } from './amqp-link.js'
import { redactAmqpUri } from './amqp-uri.js'
import { dedupKeysOf } from './dedup-ledger.js'
import type { DedupLedger } from './dedup-ledger.js'
import {
  GATEWAY_EXCHANGE,
  GATEWAY_ROUTING_KEY,
  gatewayMessageProperties,
  PLANNER_DEAD_LETTER_QUEUE,
  PLANNER_QUEUE,
} from './gateway-contract.js'
import { amqplibConnect } from './transport.js'
import type { AmqpConnect, ReturnedMessage } from './transport.js'

export interface AmqpQueueOptions {
  /** `RABBITMQ_CONNECT_STRING`: an `amqp://` or `amqps://` URI. Never logged as given. */
  readonly uri: string
  /** Where publishes are remembered for dedup (RabbitMQ keeps no queryable record). */
  readonly dedup: DedupLedger
  /**
   * `true` (default): a message that reaches no queue is refused (`mandatory` publish, the
   * broker's `basic.return` turns into a 503), because nothing would read it. `false` publishes
   * as the gateway does and lets the broker drop it; the drop is still logged.
   */
  readonly refuseUnroutable?: boolean | undefined
  readonly connect?: AmqpConnect | undefined
  /** Bound on one connect (TCP and AMQP handshake). */
  readonly connectTimeoutMs?: number | undefined
  readonly backoff?: AmqpBackoff | undefined
  readonly timers?: Timers | undefined
  readonly logger?: Logger | undefined
}

/** No queue was bound to take the message; the broker returned it. */
export class AmqpUnroutableError extends QueueUnavailableError {
  /** Tells it apart from a broker that is down, in logs and tests. */
  readonly unroutable = true
}

/** One broker queue as `webhook-router queue` shows it. */
export interface AmqpQueueInfo {
  readonly name: string
  /** Absent when the queue is not declared. */
  readonly messages?: number | undefined
  readonly consumers?: number | undefined
}

/** The broker side of the stream, for `webhook-router queue`. */
export interface AmqpBrokerView {
  readonly exchange: string
  readonly exchangeDeclared: boolean
  readonly queues: readonly AmqpQueueInfo[]
}

/** The AMQP adapter: the queue port over Canonical's gateway stream, plus a broker view. */
export interface AmqpQueue extends JobQueue<WebhookPublishRequest> {
  readonly kind: 'amqp'
  /** What the link is doing; `/health` is 503 unless it is `open` and not blocked. */
  linkState(): AmqpLinkState
  inspect(options?: QueueCallOptions): Promise<AmqpBrokerView>
}

export const DEFAULT_AMQP_CONNECT_TIMEOUT_MS = 3000

interface InFlight {
  readonly content: Buffer
  readonly deliveryId: string
  returned: boolean
  readonly fail: (error: Error) => void
}

/**
 * Publishes every webhook to the exchange `github-workflow-jobs` with routing key `workflow-job`,
 * as Canonical's webhook gateway does: the body unchanged, persistent, `application/json`, the
 * GitHub headers as AMQP headers, and `queued` only once the broker confirmed it.
 *
 * @example
 * const queue = createAmqpQueue({ uri: process.env.RABBITMQ_CONNECT_STRING, dedup: ledger })
 * await queue.migrate() // declares the exchange
 */
export function createAmqpQueue(options: AmqpQueueOptions): AmqpQueue {
  const location = redactAmqpUri(options.uri)
  const logger = options.logger ?? silentLogger
  const refuseUnroutable = options.refuseUnroutable ?? true
  const ledger = options.dedup
  const inFlight = new Set<InFlight>()

  const link = createAmqpLink({
    uri: options.uri,
    location,
    connect: options.connect ?? amqplibConnect,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_AMQP_CONNECT_TIMEOUT_MS,
    backoff: options.backoff ?? DEFAULT_AMQP_BACKOFF,
    timers: options.timers ?? systemTimers,
    logger,
    onReturn: markReturned,
    onLost(reason) {
      for (const message of inFlight) {
        message.fail(new QueueUnavailableError(`publish not confirmed: ${reason}`))
      }
      inFlight.clear()
    },
  })

  // The broker sends basic.return before the ack of the same message; match it to the oldest
  // unconfirmed publish with the same bytes, since the gateway's properties carry no message id.
  function markReturned(message: ReturnedMessage): void {
    const deliveryId = message.properties.headers?.['X-GitHub-Delivery']
    for (const candidate of inFlight) {
      if (candidate.returned || candidate.deliveryId !== String(deliveryId ?? '')) continue
      if (!candidate.content.equals(message.content)) continue
      candidate.returned = true
      return
    }
  }

  async function publish(
    request: WebhookPublishRequest,
    callOptions?: QueueCallOptions,
  ): Promise<PublishOutcome> {
    const signal = callOptions?.signal
    const keys = dedupKeysOf(request)
    const verdict = await ledger.check(keys, { signal })
    if (verdict !== 'new') return verdict
    const channel = await link.channel(signal)
    const properties = gatewayMessageProperties(request)
    const content = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.length)
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const message: InFlight = {
        content,
        deliveryId: properties.headers['X-GitHub-Delivery'] ?? '',
        returned: false,
        fail: (error) => settle(error),
      }
      function settle(error?: Error): void {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', onAbort)
        inFlight.delete(message)
        if (error) reject(error)
        else resolve()
      }
      const onAbort = () => settle(signal?.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      inFlight.add(message)
      try {
        channel.publish(
          GATEWAY_EXCHANGE,
          GATEWAY_ROUTING_KEY,
          content,
          { ...properties, mandatory: refuseUnroutable },
          (error) => {
            const wasSettled = settled
            if (error) {
              return settle(
                new QueueUnavailableError(
                  `RabbitMQ did not confirm the message: ${describe(error)}`,
                ),
              )
            }
            if (message.returned) {
              return settle(
                new AmqpUnroutableError(
                  `no queue is bound to exchange '${GATEWAY_EXCHANGE}' with routing key '${GATEWAY_ROUTING_KEY}'; the broker returned the message (is the planner's queue declared?)`,
                ),
              )
            }
            // Confirmed after the caller gave up (503): remember it anyway, so GitHub's
            // redelivery of it is a duplicate, not a second message.
            if (wasSettled) void rememberQuietly(keys)
            settle()
          },
        )
      } catch (error) {
        settle(new QueueUnavailableError(`publish failed: ${describe(error)}`))
      }
    })
    await rememberQuietly(keys)
    return 'queued'
  }

  async function rememberQuietly(keys: ReturnType<typeof dedupKeysOf>): Promise<void> {
    try {
      await ledger.remember(keys)
    } catch (error) {
      // The message is on the broker; a missing record only lets one redelivery through twice.
      logger.warn('published but could not record it for dedup', { reason: describe(error) })
    }
  }

  async function inspect(callOptions?: QueueCallOptions): Promise<AmqpBrokerView> {
    const connection = await link.connection(callOptions?.signal)
    const queues: AmqpQueueInfo[] = []
    // A passive check of a missing entity closes its channel, so each gets a throwaway one.
    const probe = async <T>(
      check: (c: Awaited<ReturnType<typeof connection.createChannel>>) => Promise<T>,
    ) => {
      const channel = await connection.createChannel()
      channel.on('error', () => {})
      try {
        return await check(channel)
      } catch {
        return undefined
      } finally {
        await channel.close().catch(() => {})
      }
    }
    const exchangeDeclared = (await probe((c) => c.checkExchange(GATEWAY_EXCHANGE))) !== undefined
    for (const name of [PLANNER_QUEUE, PLANNER_DEAD_LETTER_QUEUE]) {
      const found = await probe((c) => c.checkQueue(name))
      queues.push(
        found ? { name, messages: found.messageCount, consumers: found.consumerCount } : { name },
      )
    }
    return { exchange: GATEWAY_EXCHANGE, exchangeDeclared, queues }
  }

  return {
    kind: 'amqp',
    location,
    linkState: () => link.state(),
    inspect,
    async migrate(callOptions) {
      // Opening the link declares the exchange; the queue and its bindings are the planner's.
      await ledger.migrate(callOptions)
      await link.channel(callOptions?.signal)
    },
    publish,
    async checkWritable(callOptions) {
      await ledger.checkWritable(callOptions)
      await link.channel(callOptions?.signal)
      const state = link.state()
      if (state.kind === 'open' && state.blocked) {
        throw new QueueUnavailableError(
          `RabbitMQ at ${location} blocks publishers (resource alarm)`,
        )
      }
    },
    async depth(callOptions) {
      const view = await inspect(callOptions)
      const depth: Record<string, number> = {}
      for (const queue of view.queues) {
        if (queue.messages !== undefined) depth[queue.name] = queue.messages
      }
      return depth
    },
    peek(): Promise<QueuedMessage[]> {
      return Promise.reject(
        new Error(
          'peek is not supported on RabbitMQ: reading a message would take it from its consumer',
        ),
      )
    },
    async close() {
      await link.close()
      await ledger.close()
    },
  }
}

/**
 * The slice of an AMQP 0-9-1 client the adapter uses, so tests can drive reconnects, nacks and
 * returns with a double. `amqplibConnect` is the real one.
 *
 * @module
 */
import { connect } from 'amqplib'

/** Publish options the adapter sets (amqplib's names). */
export interface AmqpPublishOptions {
  readonly contentType: string
  readonly deliveryMode: number
  readonly headers: Readonly<Record<string, string>>
  readonly mandatory: boolean
}

/** A message the broker handed back (`basic.return`): it reached no queue. */
export interface ReturnedMessage {
  readonly content: Buffer
  readonly properties: { readonly headers?: Readonly<Record<string, unknown>> | undefined }
}

/** A channel in confirm mode. */
export interface AmqpConfirmChannel {
  assertExchange(name: string, type: 'direct', options: { durable: boolean }): Promise<unknown>
  /** `callback` runs once the broker acks (no argument) or nacks (an error) the message. */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: AmqpPublishOptions,
    callback: (error: unknown) => void,
  ): boolean
  close(): Promise<void>
  on(event: 'return', listener: (message: ReturnedMessage) => void): unknown
  on(event: 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** A plain channel, for passive checks that the broker may answer by closing it. */
export interface AmqpInspectChannel {
  checkExchange(name: string): Promise<unknown>
  checkQueue(name: string): Promise<{ messageCount: number; consumerCount: number }>
  close(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

export interface AmqpConnection {
  createConfirmChannel(): Promise<AmqpConfirmChannel>
  createChannel(): Promise<AmqpInspectChannel>
  close(): Promise<void>
  on(event: 'close', listener: (error?: Error) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'blocked', listener: (reason: string) => void): unknown
  on(event: 'unblocked', listener: () => void): unknown
}

/** Opens one connection; `timeoutMs` bounds the TCP connect and the AMQP handshake. */
export type AmqpConnect = (uri: string, timeoutMs: number) => Promise<AmqpConnection>

/** Heartbeats find a broker that vanished without closing the socket (a cut network). */
const HEARTBEAT_SECONDS = 15

/** amqplib (amqp-node): connects without its own recovery; the adapter reconnects itself. */
export const amqplibConnect: AmqpConnect = async (uri, timeoutMs) => {
  const url = new URL(uri)
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', `${HEARTBEAT_SECONDS}`)
  const model = await connect(url.toString(), { timeout: timeoutMs })
  return model as unknown as AmqpConnection
}

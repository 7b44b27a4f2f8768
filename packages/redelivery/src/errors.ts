/** Why a scan against GitHub failed; decides the CLI message and the metrics label. */
export type RedeliveryErrorKind = 'bad-credentials' | 'rate-limited' | 'invalid-delivery' | 'github'

/**
 * A GitHub call (listing deliveries, asking for an attempt, exchanging an App token) failed, or
 * GitHub answered with a delivery we cannot interpret. The CLI maps it to exit code 2.
 *
 * The messages start like the reference script's, so operators searching logs for them still
 * find them.
 *
 * @example
 * ```ts
 * try {
 *   await redeliverFailedDeliveries(options)
 * } catch (error) {
 *   if (error instanceof RedeliveryError && error.kind === 'rate-limited') {
 *     console.error(`retry after ${error.resetAt?.toISOString()}`)
 *   }
 * }
 * ```
 */
export class RedeliveryError extends Error {
  override readonly name = 'RedeliveryError'
  readonly kind: RedeliveryErrorKind
  /** HTTP status of the failed call, when there was a response. */
  readonly status: number | undefined
  /** When the rate limit resets; only for `rate-limited`, and only when GitHub said. */
  readonly resetAt: Date | undefined

  constructor(
    kind: RedeliveryErrorKind,
    message: string,
    details: { status?: number; resetAt?: Date; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause })
    this.kind = kind
    this.status = details.status
    this.resetAt = details.resetAt
  }
}

/**
 * The GitHub credentials or the webhook address are missing, incomplete or contradictory. The
 * message names the variables involved and never their values. The CLI maps it to exit code 1.
 */
export class RedeliveryConfigError extends Error {
  override readonly name = 'RedeliveryConfigError'
}

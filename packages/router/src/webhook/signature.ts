import { createHmac, timingSafeEqual } from 'node:crypto'
import type { WebhookSecrets } from '../config/router-config.js'

/** Which configured secret signed the body. */
export type MatchedSecret = 'current' | 'previous'

export type SignatureCheck =
  | { readonly ok: true; readonly matched: MatchedSecret }
  | { readonly ok: false; readonly reason: 'missing-header' | 'mismatch' | 'no-secret' }

const encoder = new TextEncoder()

/**
 * Checks `X-Hub-Signature-256` against the raw body: `sha256=` followed by the lowercase hex
 * HMAC-SHA256 of exactly those bytes, keyed by the current secret or else the previous one.
 * The header is compared as GitHub sends it, without trimming or case folding, and in constant
 * time once the lengths agree.
 *
 * @example
 * ```ts
 * const check = verifySignature(body, c.req.header('x-hub-signature-256'), config.secrets)
 * if (!check.ok) return c.text('Signature validation failed!', 403)
 * ```
 */
export function verifySignature(
  rawBody: Uint8Array,
  header: string | undefined,
  secrets: WebhookSecrets,
): SignatureCheck {
  const candidates: [MatchedSecret, string | undefined][] = [
    ['current', secrets.current],
    ['previous', secrets.previous],
  ]
  const configured = candidates.filter(
    (candidate): candidate is [MatchedSecret, string] =>
      candidate[1] !== undefined && candidate[1] !== '',
  )
  if (configured.length === 0) return { ok: false, reason: 'no-secret' }
  if (header === undefined) return { ok: false, reason: 'missing-header' }
  const received = encoder.encode(header)
  for (const [matched, secret] of configured) {
    const expected = encoder.encode(signBody(rawBody, secret))
    if (received.length === expected.length && timingSafeEqual(received, expected)) {
      return { ok: true, matched }
    }
  }
  return { ok: false, reason: 'mismatch' }
}

/**
 * The `X-Hub-Signature-256` value GitHub would send for this body and secret.
 *
 * @example
 * ```ts
 * signBody(new TextEncoder().encode('{}'), 'secret') // 'sha256=…64 lowercase hex digits'
 * ```
 */
export function signBody(rawBody: Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
}

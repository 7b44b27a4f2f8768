import { signBody } from '../webhook/signature.js'

/** Options for a fake GitHub delivery. */
export interface WebhookRequestOptions {
  /** Signs the body with this secret into `X-Hub-Signature-256`. */
  readonly secret?: string | undefined
  /** `X-GitHub-Event`; `workflow_job` by default, `null` to leave the header out. */
  readonly event?: string | null
  readonly deliveryId?: string | undefined
  /** `application/json` by default, `null` to leave the header out. */
  readonly contentType?: string | null
  /** Extra headers, applied last (so a test can set a wrong signature). */
  readonly headers?: Readonly<Record<string, string>>
}

const encoder = new TextEncoder()

/**
 * A `RequestInit` shaped like a GitHub delivery: POST, JSON, event and delivery headers, and a
 * valid signature when a secret is given. A non-string payload is JSON-encoded.
 *
 * @example
 * ```ts
 * const res = await router.request('/webhook', webhookRequestInit(workflowJobPayload(), { secret }))
 * ```
 */
export function webhookRequestInit(
  payload: unknown,
  options: WebhookRequestOptions = {},
): RequestInit {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload)
  const headers: Record<string, string> = {}
  const event = options.event === undefined ? 'workflow_job' : options.event
  if (event !== null) headers['X-GitHub-Event'] = event
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType
  if (contentType !== null) headers['Content-Type'] = contentType
  if (options.deliveryId !== undefined) headers['X-GitHub-Delivery'] = options.deliveryId
  if (options.secret !== undefined) {
    headers['X-Hub-Signature-256'] = signBody(encoder.encode(body), options.secret)
  }
  return { method: 'POST', body, headers: { ...headers, ...options.headers } }
}

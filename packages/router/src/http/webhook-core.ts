import type { RouterConfig } from '../config/router-config.js'
import type { Clock, LogFields, Logger, Timers } from '../ports.js'
import { QueueUnavailableError } from '../queue/port.js'
import type { JobQueue, PublishOutcome, WebhookPublishRequest } from '../queue/port.js'
import { routeLabels } from '../routing/table.js'
import type { RoutingTable } from '../routing/table.js'
import { parseWorkflowJobPayload, workflowJobActions } from '../webhook/payload.js'
import type { WorkflowJobEvent } from '../webhook/payload.js'
import { verifySignature } from '../webhook/signature.js'
import { isJsonContentType, parseJsonBody } from './body.js'
import type { BodyRead } from './body.js'
import { createBoundedCalls } from './bounded.js'
import type { ActionLabel, EventLabel, RouterMetrics, WebhookOutcome } from './metrics.js'

/** What the webhook core needs; `createRouterCore` builds it from `RouterDeps`. */
export interface WebhookCoreDeps {
  readonly config: RouterConfig
  readonly table: RoutingTable
  /** The kombu queues; absent when only the gateway's stream is fed. */
  readonly queue?: JobQueue | undefined
  /** Canonical's gateway stream (RabbitMQ); absent when only the kombu queues are fed. */
  readonly stream?: JobQueue<WebhookPublishRequest> | undefined
  readonly logger: Logger
  readonly clock: Clock
  readonly timers: Timers
  readonly metrics: RouterMetrics
}

/** Response header naming what the router did; GitHub shows it in the delivery log. */
export const outcomeHeader = 'X-Webhook-Router-Outcome'
/** Response header naming the flavour a job was queued to. */
export const flavourHeader = 'X-Webhook-Router-Flavour'

// Delivery ids are GUIDs; anything much longer is not from GitHub and is not worth remembering.
const maxDeliveryIdLength = 255
const maxEchoedEventLength = 64
// A routable job has at most a flavour's labels; only hostile payloads reach this cap.
const maxLoggedLabels = 50

const outcomeHeaderKey = outcomeHeader.toLowerCase()
const flavourHeaderKey = flavourHeader.toLowerCase()

/** The parts of one `POST /webhook` request the core reads, whatever server received it. */
export interface WebhookInput {
  /** A request header by lowercase name; duplicates joined with `, ` as the Fetch API does. */
  header(name: string): string | undefined
  /** Reads the body under the byte limit (see `readBodyWithin` for the rules). */
  readBody(maxBytes: number): Promise<BodyRead>
}

/** Status codes the webhook endpoint answers with. */
export type WebhookStatus = 200 | 400 | 403 | 413 | 415 | 503

/** The answer to one webhook: a status, a plain-text body (may be empty) and headers. */
export interface WebhookAnswer {
  readonly status: WebhookStatus
  readonly body: string
  /** Lowercase names: the outcome, the flavour when routed, the content type when a body. */
  readonly headers: Readonly<Record<string, string>>
}

/** Handles one `POST /webhook`; never rejects unless reading the body or a metric throws. */
export type WebhookCore = (input: WebhookInput) => Promise<WebhookAnswer>

/** The answer to any error nobody anticipated: a retryable 503, never a 500. */
export const internalErrorText = 'Router failed to handle the request; redeliver later.'

/** What both the Hono route and the `node:http` fast path send with a text body. */
export const textContentType = 'text/plain; charset=UTF-8'

/**
 * The `POST /webhook` pipeline over plain data: body limit, signature, event, content type,
 * JSON, payload, then the bounded writes: routing and a publish of `queued` jobs to the kombu
 * queue, and the whole webhook, whatever its action, to the stream; side by side when both are
 * there, answered 200 only when each took it. Each request ends in exactly one metric
 * increment and one log line carrying the delivery id and the outcome. Framework-free, so the
 * Hono route and the `node:http` fast path give the same answers.
 *
 * @example
 * ```ts
 * const handle = createWebhookCore(deps)
 * const answer = await handle({ header: (name) => headers[name], readBody: async () => ({ ok: true, bytes }) })
 * ```
 */
export function createWebhookCore(deps: WebhookCoreDeps): WebhookCore {
  const { config, table, queue, stream, logger, clock, timers, metrics } = deps
  const bounded = createBoundedCalls(config.publishTimeoutMs, timers)
  const authenticated =
    config.secrets.current !== undefined || config.secrets.previous !== undefined

  return async function handleWebhook(input: WebhookInput): Promise<WebhookAnswer> {
    const rawEvent = input.header('x-github-event') || undefined
    const rawDelivery = input.header('x-github-delivery') || undefined
    const deliveryId =
      rawDelivery !== undefined && rawDelivery.length <= maxDeliveryIdLength
        ? rawDelivery
        : undefined
    const fields: LogFields = { deliveryId, event: rawEvent?.slice(0, maxEchoedEventLength) }
    let action: ActionLabel = 'none'

    const finish = (
      status: WebhookStatus,
      text: string,
      outcome: WebhookOutcome,
      flavour?: string,
    ): WebhookAnswer => {
      metrics.webhook(eventLabel(rawEvent), action, outcome)
      const line = { ...fields, outcome, status, ...(status >= 400 ? { reason: text } : {}) }
      safeLog(
        logger,
        logLevel(status, outcome),
        outcome === 'accepted' ? 'job_forwarded' : 'webhook',
        line,
      )
      const headers: Record<string, string> = { [outcomeHeaderKey]: outcome }
      if (flavour !== undefined) headers[flavourHeaderKey] = flavour
      if (text !== '') headers['content-type'] = textContentType
      return { status, body: text, headers }
    }

    const body = await input.readBody(config.maxBodyBytes)
    if (!body.ok) {
      return finish(
        413,
        `Request body is larger than ${config.maxBodyBytes} bytes.`,
        'rejected_body_too_large',
      )
    }
    if (authenticated) {
      const check = verifySignature(body.bytes, input.header('x-hub-signature-256'), config.secrets)
      if (!check.ok && check.reason === 'missing-header') {
        return finish(403, 'X-Hub-signature-256 header is missing!', 'rejected_signature_missing')
      }
      if (!check.ok)
        return finish(403, 'Signature validation failed!', 'rejected_signature_invalid')
      metrics.signature(check.matched)
      fields.secret = check.matched
    }
    if (rawEvent === undefined) {
      return finish(400, 'X-Github-Event header is missing!', 'rejected_event_missing')
    }
    if (rawEvent === 'ping') return finish(200, 'pong', 'ignored')
    if (rawEvent !== 'workflow_job') {
      const shown =
        rawEvent.length > maxEchoedEventLength
          ? `${rawEvent.slice(0, maxEchoedEventLength)}…`
          : rawEvent
      return finish(400, `Webhook event ${shown} not supported!`, 'rejected_event_unsupported')
    }
    if (!isJsonContentType(input.header('content-type'))) {
      return finish(
        415,
        'Content-Type must be application/json.',
        'rejected_unsupported_media_type',
      )
    }
    const json = parseJsonBody(body.bytes)
    if (!json.ok) return finish(400, json.reason, 'rejected_invalid_json')
    action = actionLabel(json.value)
    fields.action = action
    const parsed = parseWorkflowJobPayload(json.value)
    if (!parsed.ok) return finish(400, parsed.message, 'rejected_invalid_payload')
    const { event } = parsed
    fields.jobId = event.jobId
    fields.url = event.url
    safeLog(logger, 'debug', 'webhook payload', { deliveryId, payload: json.value })
    // The gateway's stream takes every action; both writes share the publish bound.
    const streamed =
      stream === undefined
        ? undefined
        : writeStream(stream, {
            body: body.bytes,
            header: (name) => input.header(name),
            action: event.action,
            deliveryId,
            jobId: event.jobId,
          })
    const kombu: Verdict =
      queue === undefined
        ? { status: 200, text: '', outcome: 'ignored' }
        : await writeKombu(queue, event)
    if (streamed === undefined)
      return finish(kombu.status, kombu.text, kombu.outcome, kombu.flavour)
    const forwarded = await streamed
    fields.stream_outcome = forwarded.outcome
    const verdict =
      kombu.status === 503 || (forwarded.status !== 503 && kombu.outcome !== 'ignored')
        ? kombu
        : forwarded
    if (verdict.outcome === 'accepted') fields.log_type = 'job_forwarded'
    return finish(verdict.status, verdict.text, verdict.outcome, kombu.flavour)

    async function writeKombu(kombuQueue: JobQueue, job: WorkflowJobEvent): Promise<Verdict> {
      if (job.action !== 'queued') {
        fields.labels = loggedLabels(job.labels)
        return { status: 200, text: '', outcome: 'ignored' }
      }
      const decision = routeLabels(table, job.labels)
      fields.labels = loggedLabels(decision.labels)
      if (!decision.routed) {
        metrics.unroutable(decision.code)
        fields.unroutableReason = decision.reason
        return {
          status: 200,
          text: 'Not able to forward job due to non-matching labels.',
          outcome: 'unroutable',
        }
      }
      const flavour = decision.flavour
      fields.flavour = flavour
      // The reference's log line and Loki dashboard key on this spelling.
      fields.log_type = 'job_forwarded'
      fields.flavor = flavour
      const request = {
        flavour,
        job: { labels: decision.labels, status: 'queued' as const, url: job.url },
        deliveryId,
        jobId: job.jobId,
      }
      const written = await write((signal) => kombuQueue.publish(request, { signal }))
      if (written.outcome !== 'accepted') delete fields.log_type
      // From here on every answer names the flavour the job was routed to.
      if (written.outcome === 'accepted') metrics.queued(flavour)
      return { ...written, flavour }
    }

    function writeStream(
      target: JobQueue<WebhookPublishRequest>,
      request: WebhookPublishRequest,
    ): Promise<Verdict> {
      return write((signal) => target.publish(request, { signal }), 'stream_error')
    }

    async function write(
      call: (signal: AbortSignal) => Promise<PublishOutcome>,
      errorField = 'error',
    ): Promise<Verdict> {
      const started = clock()
      const result = await bounded(call)
      const seconds = Math.max(0, (clock() - started) / 1000)
      if (result.kind === 'timeout') {
        metrics.queueWrite(seconds, 'timeout')
        return {
          status: 503,
          text: `Queue did not answer within ${config.publishTimeoutMs} ms; redeliver later.`,
          outcome: 'failed_queue_timeout',
        }
      }
      if (result.kind === 'failed') {
        const unavailable = result.error instanceof QueueUnavailableError
        metrics.queueWrite(seconds, unavailable ? 'unavailable' : 'error')
        fields[errorField] = describeError(result.error)
        return unavailable
          ? {
              status: 503,
              text: 'Queue is unavailable; redeliver later.',
              outcome: 'failed_queue_unavailable',
            }
          : {
              status: 503,
              text: 'Queue write failed; redeliver later.',
              outcome: 'failed_queue_error',
            }
      }
      const outcome: PublishOutcome = result.value
      metrics.queueWrite(seconds, outcome === 'queued' ? 'queued' : 'duplicate')
      if (outcome === 'queued') return { status: 200, text: '', outcome: 'accepted' }
      return outcome === 'duplicate-delivery'
        ? { status: 200, text: 'duplicate delivery', outcome: 'duplicate_delivery' }
        : { status: 200, text: 'duplicate job', outcome: 'duplicate_job' }
    }
  }
}

/** What one write (or the whole webhook) comes to, before it is logged and counted. */
interface Verdict {
  readonly status: WebhookStatus
  readonly text: string
  readonly outcome: WebhookOutcome
  readonly flavour?: string | undefined
}

function loggedLabels(labels: readonly string[]): readonly string[] {
  if (labels.length <= maxLoggedLabels) return labels
  const rest = labels.length - maxLoggedLabels
  return [...labels.slice(0, maxLoggedLabels), `(${rest} more)`]
}

// A lost job (unroutable, queue down) needs an operator; a bad request only a glance.
function logLevel(status: number, outcome: WebhookOutcome): keyof Logger {
  if (status === 503 || outcome === 'unroutable') return 'error'
  return status >= 400 ? 'warn' : 'info'
}

function eventLabel(event: string | undefined): EventLabel {
  if (event === undefined) return 'none'
  return event === 'workflow_job' || event === 'ping' ? event : 'other'
}

function actionLabel(payload: unknown): ActionLabel {
  if (typeof payload !== 'object' || payload === null || !('action' in payload)) return 'none'
  const { action } = payload
  return (workflowJobActions as readonly unknown[]).includes(action)
    ? (action as ActionLabel)
    : 'other'
}

/** One line for logs; never the payload, never a secret. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500)
  return String(error).slice(0, 500)
}

/** A logger that throws (a full disk, a bad transport) must not change the answer to GitHub. */
export function safeLog(
  logger: Logger,
  level: keyof Logger,
  message: string,
  fields: LogFields,
): void {
  try {
    logger[level](message, fields)
  } catch {
    // Nothing sensible left to report to.
  }
}

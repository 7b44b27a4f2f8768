/**
 * What Canonical's Go `webhook-gateway` puts on RabbitMQ, and what its `planner` declares to
 * read it (canonical/github-runner-operators). The AMQP adapter publishes exactly this, so
 * either program can be swapped for the router without touching the other side.
 *
 * @module
 */
import type { WebhookPublishRequest } from '../port.js'

/** The durable direct exchange the gateway declares and publishes to. */
export const GATEWAY_EXCHANGE = 'github-workflow-jobs'
/** The routing key of every message. */
export const GATEWAY_ROUTING_KEY = 'workflow-job'
/** What the planner declares and binds; the router never declares these (it owns the exchange only). */
export const PLANNER_QUEUE = 'github-workflow-jobs'
export const PLANNER_DEAD_LETTER_EXCHANGE = 'github-workflow-jobs-dlx'
export const PLANNER_DEAD_LETTER_QUEUE = 'github-workflow-jobs-dlq'

/**
 * The GitHub request headers the gateway copies into AMQP headers, spelled as it spells them.
 * It sends each one, as an empty string when the request lacked it.
 */
export const GATEWAY_FORWARDED_HEADERS = [
  'X-GitHub-Event',
  'X-GitHub-Hook-ID',
  'X-GitHub-Delivery',
  'X-GitHub-Hook-Installation-Target-Type',
  'X-GitHub-Hook-Installation-Target-ID',
] as const

/**
 * W3C trace context. The gateway injects its own span's context; the router has no tracer, so
 * it passes on the caller's context when the request carried one and sends none otherwise.
 */
export const TRACE_CONTEXT_HEADERS = ['traceparent', 'tracestate'] as const

/** The message properties of every publish: persistent JSON, nothing else set. */
export interface GatewayMessageProperties {
  readonly contentType: 'application/json'
  /** 2 = persistent. */
  readonly deliveryMode: 2
  readonly headers: Readonly<Record<string, string>>
}

/** Builds the properties of one message from the webhook's request headers. */
export function gatewayMessageProperties(
  request: Pick<WebhookPublishRequest, 'header'>,
): GatewayMessageProperties {
  const headers: Record<string, string> = {}
  for (const name of TRACE_CONTEXT_HEADERS) {
    const value = request.header(name)
    if (value !== undefined && value !== '') headers[name] = value
  }
  for (const name of GATEWAY_FORWARDED_HEADERS) {
    headers[name] = request.header(name.toLowerCase()) ?? ''
  }
  return { contentType: 'application/json', deliveryMode: 2, headers }
}

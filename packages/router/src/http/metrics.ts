import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { Clock } from '../ports.js'
import type { MatchedSecret } from '../webhook/signature.js'

/** The names of the router's metrics, for dashboards, alerts and tests. */
export const routerMetricNames = {
  webhooks: 'webhook_router_webhooks_total',
  jobsQueued: 'webhook_router_jobs_queued_total',
  unroutableJobs: 'webhook_router_unroutable_jobs_total',
  queueWriteDuration: 'webhook_router_queue_write_duration_seconds',
  secondsSinceLastAcceptedWebhook: 'webhook_router_seconds_since_last_accepted_webhook',
  signatureMatches: 'webhook_router_signature_matches_total',
} as const

/** Every value the `outcome` label of `webhook_router_webhooks_total` can take. */
export const webhookOutcomes = [
  'accepted',
  'duplicate_delivery',
  'duplicate_job',
  'unroutable',
  'ignored',
  'rejected_body_too_large',
  'rejected_signature_missing',
  'rejected_signature_invalid',
  'rejected_event_missing',
  'rejected_event_unsupported',
  'rejected_unsupported_media_type',
  'rejected_invalid_json',
  'rejected_invalid_payload',
  'failed_queue_timeout',
  'failed_queue_unavailable',
  'failed_queue_error',
  'failed_internal',
] as const
export type WebhookOutcome = (typeof webhookOutcomes)[number]

/** Outcomes of one queue write, the `outcome` label of the write-duration histogram. */
export type QueueWriteOutcome = 'queued' | 'duplicate' | 'timeout' | 'unavailable' | 'error'

/** The bounded label values: header values never become labels as they are. */
export type EventLabel = 'workflow_job' | 'ping' | 'other' | 'none'
export type ActionLabel = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'other' | 'none'

/** What the router records; one instance per router, on the registry it was given. */
export interface RouterMetrics {
  webhook(event: EventLabel, action: ActionLabel, outcome: WebhookOutcome): void
  queued(flavour: string): void
  unroutable(reason: 'unknown-label' | 'no-single-flavour'): void
  queueWrite(seconds: number, outcome: QueueWriteOutcome): void
  signature(matched: MatchedSecret): void
}

const answered: ReadonlySet<WebhookOutcome> = new Set([
  'accepted',
  'duplicate_delivery',
  'duplicate_job',
  'unroutable',
  'ignored',
])

/**
 * Registers the router's metrics on `registry` (never the global one). The silence gauge is
 * computed from `clock` at scrape time; before the first webhook it counts from creation, so a
 * router that never hears from GitHub still trips a "no webhooks for N minutes" alert.
 *
 * @param flavours pre-created at zero so `rate()` works from the first scrape.
 * @example
 * ```ts
 * const registry = new Registry()
 * const metrics = createRouterMetrics(registry, Date.now, ['small', 'large'])
 * ```
 */
export function createRouterMetrics(
  registry: Registry,
  clock: Clock,
  flavours: readonly string[] = [],
): RouterMetrics {
  const registers = [registry]
  const webhooks = new Counter({
    name: routerMetricNames.webhooks,
    help: 'Webhooks received, by event, action and what the router did with them.',
    labelNames: ['event', 'action', 'outcome'] as const,
    registers,
  })
  const jobsQueued = new Counter({
    name: routerMetricNames.jobsQueued,
    help: 'Jobs written to a flavour queue (duplicates not counted).',
    labelNames: ['flavour'] as const,
    registers,
  })
  const unroutableJobs = new Counter({
    name: routerMetricNames.unroutableJobs,
    help: 'Queued jobs no flavour could take, by reason.',
    labelNames: ['reason'] as const,
    registers,
  })
  const queueWriteDuration = new Histogram({
    name: routerMetricNames.queueWriteDuration,
    help: 'Time to write one job to the queue, including dedup, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  const signatureMatches = new Counter({
    name: routerMetricNames.signatureMatches,
    help: 'Verified webhook signatures by secret; previous > 0 means GitHub still uses the old one.',
    labelNames: ['secret'] as const,
    registers,
  })
  let lastAnsweredAt = clock()
  new Gauge({
    name: routerMetricNames.secondsSinceLastAcceptedWebhook,
    help: 'Seconds since the last authenticated, well-formed webhook (since start if none yet).',
    registers,
    collect() {
      this.set(Math.max(0, (clock() - lastAnsweredAt) / 1000))
    },
  })
  for (const flavour of flavours) jobsQueued.inc({ flavour }, 0)
  unroutableJobs.inc({ reason: 'unknown-label' }, 0)
  unroutableJobs.inc({ reason: 'no-single-flavour' }, 0)

  return {
    webhook(event, action, outcome) {
      webhooks.inc({ event, action, outcome })
      if (answered.has(outcome)) lastAnsweredAt = clock()
    },
    queued: (flavour) => jobsQueued.inc({ flavour }),
    unroutable: (reason) => unroutableJobs.inc({ reason }),
    queueWrite: (seconds, outcome) => queueWriteDuration.observe({ outcome }, seconds),
    signature: (matched) => signatureMatches.inc({ secret: matched }),
  }
}

import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import type { LogFields, Logger } from '../ports.js'
import { createMemoryQueue } from '../queue/memory.js'
import { webhookRequestInit } from '../testing/webhook-request.js'
import type { WebhookRequestOptions } from '../testing/webhook-request.js'
import { workflowJobPayload } from '../testing/workflow-job-payload.js'
import { routerMetricNames } from './metrics.js'
import { createRouter } from './router.js'

const secret = 'top-secret-value'

interface LogLine {
  level: keyof Logger
  message: string
  fields: LogFields
}

function setup() {
  const lines: LogLine[] = []
  const record =
    (level: keyof Logger) =>
    (message: string, fields: LogFields = {}) =>
      void lines.push({ level, message, fields })
  const logger: Logger = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  }
  let now = 1_000_000
  const registry = new Registry()
  const queue = createMemoryQueue()
  const config = defineRouterConfig({
    flavours: [
      { name: 'small', labels: ['x64', 'small'] },
      { name: 'large', labels: ['arm64', 'large'] },
    ],
    defaultFlavour: 'small',
    secrets: { current: secret, previous: 'old-secret' },
  })
  const app = createRouter({ config, queue, logger, registry, clock: () => now })
  const send = (payload: unknown, options: WebhookRequestOptions = {}) =>
    app.request('/webhook', webhookRequestInit(payload, { secret, ...options }))
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
    const sample = metric?.values.find((v) =>
      Object.entries(labels).every(([key, want]) => v.labels[key] === want),
    )
    return sample?.value
  }
  return { app, send, lines, registry, value, queue, tick: (ms: number) => (now += ms) }
}

describe('metrics', () => {
  it('counts an accepted webhook by event, action and outcome, and the job by flavour', async () => {
    const { send, value } = setup()
    await send(workflowJobPayload({ labels: ['arm64'] }))
    const labels = { event: 'workflow_job', action: 'queued', outcome: 'accepted' }
    expect(await value(routerMetricNames.webhooks, labels)).toBe(1)
    expect(await value(routerMetricNames.jobsQueued, { flavour: 'large' })).toBe(1)
    expect(await value(routerMetricNames.jobsQueued, { flavour: 'small' })).toBe(0)
  })

  it('observes the queue write duration', async () => {
    const { send, registry } = setup()
    await send(workflowJobPayload())
    const text = await registry.getSingleMetricAsString(routerMetricNames.queueWriteDuration)
    expect(text).toContain(`${routerMetricNames.queueWriteDuration}_count{outcome="queued"} 1`)
  })

  it('never uses a raw header value as a label', async () => {
    const { send, registry } = setup()
    await send(workflowJobPayload(), { event: 'evil"} 1 other_metric{' })
    await send({ ...workflowJobPayload(), action: 'x'.repeat(100) })
    const text = await registry.metrics()
    expect(text).toContain('event="other",action="none",outcome="rejected_event_unsupported"')
    expect(text).toContain('event="workflow_job",action="other",outcome="rejected_invalid_payload"')
    expect(text).not.toContain('evil')
    expect(text).not.toContain('xxxx')
  })

  it('counts rejected signatures and which secret verified the rest', async () => {
    const { send, value } = setup()
    await send(workflowJobPayload(), { secret: 'wrong' })
    await send(workflowJobPayload({ jobId: 2 }), { secret: 'old-secret' })
    expect(await value(routerMetricNames.webhooks, { outcome: 'rejected_signature_invalid' })).toBe(
      1,
    )
    expect(await value(routerMetricNames.signatureMatches, { secret: 'previous' })).toBe(1)
  })

  it('counts unroutable jobs by reason', async () => {
    const { send, value } = setup()
    await send(workflowJobPayload({ labels: ['noble'] }))
    await send(workflowJobPayload({ labels: ['arm64', 'x64'], jobId: 2 }))
    expect(await value(routerMetricNames.unroutableJobs, { reason: 'unknown-label' })).toBe(1)
    expect(await value(routerMetricNames.unroutableJobs, { reason: 'no-single-flavour' })).toBe(1)
  })

  it('reports the seconds since the last accepted webhook from the injected clock', async () => {
    const { send, value, tick } = setup()
    tick(30_000)
    expect(await value(routerMetricNames.secondsSinceLastAcceptedWebhook)).toBe(30)
    await send({ zen: 'hi' }, { event: 'ping' })
    tick(2_500)
    expect(await value(routerMetricNames.secondsSinceLastAcceptedWebhook)).toBe(2.5)
    await send(workflowJobPayload(), { secret: 'wrong' })
    tick(1_000)
    expect(await value(routerMetricNames.secondsSinceLastAcceptedWebhook)).toBe(3.5)
  })

  it('gives every router its own registry, so two routers never collide', async () => {
    const queue = createMemoryQueue()
    const config = defineRouterConfig({ flavours: [], defaultFlavour: 'small' })
    expect(() => [createRouter({ config, queue }), createRouter({ config, queue })]).not.toThrow()
  })
})

describe('logging', () => {
  it('writes one job_forwarded line with the delivery, job, labels and flavour', async () => {
    const { send, lines } = setup()
    await send(workflowJobPayload({ labels: ['Self-Hosted', 'ARM64'], jobId: 42 }), {
      deliveryId: 'guid-42',
    })
    const info = lines.filter((line) => line.level !== 'debug')
    expect(info).toEqual([
      {
        level: 'info',
        message: 'job_forwarded',
        fields: expect.objectContaining({
          log_type: 'job_forwarded',
          deliveryId: 'guid-42',
          event: 'workflow_job',
          action: 'queued',
          jobId: 42,
          labels: ['arm64'],
          flavour: 'large',
          flavor: 'large',
          outcome: 'accepted',
          status: 200,
          secret: 'current',
        }),
      },
    ])
  })

  it('logs the full payload only at debug level', async () => {
    const { send, lines } = setup()
    await send(workflowJobPayload())
    const withPayload = lines.filter((line) => 'payload' in line.fields)
    expect(withPayload.map((line) => line.level)).toEqual(['debug'])
  })

  it('logs a rejection as a warning with its reason', async () => {
    const { send, lines } = setup()
    await send(workflowJobPayload(), { secret: 'wrong', deliveryId: 'guid-1' })
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'webhook',
        fields: expect.objectContaining({
          deliveryId: 'guid-1',
          outcome: 'rejected_signature_invalid',
          status: 403,
          reason: 'Signature validation failed!',
        }),
      },
    ])
  })

  it('logs an unroutable job as an error that says why', async () => {
    const { send, lines } = setup()
    await send(workflowJobPayload({ labels: ['noble'] }))
    const line = lines.find((entry) => entry.fields.outcome === 'unroutable')
    expect(line?.level).toBe('error')
    expect(line?.fields.unroutableReason).toBe('No flavour has the label "noble".')
  })

  it('caps the labels logged for a hostile payload', async () => {
    const { send, lines } = setup()
    const labels = Array.from({ length: 5000 }, (_, i) => `label-${i}`)
    await send(workflowJobPayload({ labels }))
    const line = lines.find((entry) => entry.fields.outcome === 'unroutable')
    expect(line?.fields.labels).toHaveLength(51)
    expect((line?.fields.labels as string[])[50]).toBe('(4950 more)')
  })

  it('never logs a secret or a signature', async () => {
    const { send, lines } = setup()
    const payload = workflowJobPayload()
    const init = webhookRequestInit(payload, { secret })
    const signature = (init.headers as Record<string, string>)['X-Hub-Signature-256'] ?? ''
    await send(payload)
    await send(payload, { secret: 'wrong' })
    const text = JSON.stringify(lines)
    expect(text).not.toContain(secret)
    expect(text).not.toContain('old-secret')
    expect(text).not.toContain(signature.slice('sha256='.length))
  })
})

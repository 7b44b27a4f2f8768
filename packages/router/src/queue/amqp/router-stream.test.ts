// How the webhook core combines the kombu queue and the stream, over in-memory doubles.
import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../../config/router-config.js'
import { createRouter } from '../../http/router.js'
import { webhookRequestInit } from '../../testing/webhook-request.js'
import { workflowJobPayload } from '../../testing/workflow-job-payload.js'
import { createMemoryQueue } from '../memory.js'
import { QueueUnavailableError } from '../port.js'
import type { JobQueue, PublishOutcome, WebhookPublishRequest } from '../port.js'

const secret = 'stream-test-secret'
const config = defineRouterConfig({
  flavours: [{ name: 'small', labels: ['small'] }],
  defaultFlavour: 'small',
  secrets: { current: secret },
})

/** A stream double: records what it is given, answers what the test says. */
function streamDouble(answer: () => Promise<PublishOutcome> = () => Promise.resolve('queued')) {
  const received: WebhookPublishRequest[] = []
  let writable = true
  const stream: JobQueue<WebhookPublishRequest> = {
    kind: 'amqp',
    location: 'amqp://double',
    migrate: () => Promise.resolve(),
    publish(request) {
      received.push(request)
      return answer()
    },
    checkWritable: () =>
      writable ? Promise.resolve() : Promise.reject(new QueueUnavailableError('broker away')),
    depth: () => Promise.resolve({}),
    peek: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  }
  return { stream, received, setWritable: (value: boolean) => (writable = value) }
}

const webhook = (action: string, labels = ['small'], deliveryId = `d-${action}`) =>
  webhookRequestInit(workflowJobPayload({ action, labels }), { secret, deliveryId })

describe('the stream mode', () => {
  it('forwards every action, with the body bytes and headers as received', async () => {
    const { stream, received } = streamDouble()
    const router = createRouter({ config, stream })
    for (const action of ['queued', 'in_progress', 'completed', 'waiting']) {
      const response = await router.request('/webhook', webhook(action, ['no-such-flavour']))
      expect(response.status).toBe(200)
      expect(response.headers.get('x-webhook-router-outcome')).toBe('accepted')
    }
    expect(received.map((r) => r.action)).toEqual(['queued', 'in_progress', 'completed', 'waiting'])
    const init = webhook('completed', ['no-such-flavour'])
    expect(new TextDecoder().decode(received[2]?.body)).toBe(init.body)
    expect(received[2]?.header('x-github-delivery')).toBe('d-completed')
  })

  it('applies the edge checks first: a bad signature or a push event is not forwarded', async () => {
    const { stream, received } = streamDouble()
    const router = createRouter({ config, stream })
    const unsigned = webhookRequestInit(workflowJobPayload(), { secret: 'wrong' })
    expect((await router.request('/webhook', unsigned)).status).toBe(403)
    const push = webhookRequestInit({ ref: 'main' }, { secret, event: 'push' })
    expect((await router.request('/webhook', push)).status).toBe(400)
    expect(
      (await router.request('/webhook', webhookRequestInit({}, { secret, event: 'ping' }))).status,
    ).toBe(200)
    expect(received).toEqual([])
  })

  it('answers 503 when the stream refuses, and health follows the broker', async () => {
    const { stream, setWritable } = streamDouble(() =>
      Promise.reject(new QueueUnavailableError('RabbitMQ is unavailable')),
    )
    const router = createRouter({ config, stream })
    const response = await router.request('/webhook', webhook('in_progress'))
    expect(response.status).toBe(503)
    expect(response.headers.get('x-webhook-router-outcome')).toBe('failed_queue_unavailable')
    expect((await router.request('/health')).status).toBe(200)
    setWritable(false)
    expect((await router.request('/health')).status).toBe(503)
  })
})

describe('the both mode', () => {
  it('queues a routed job for kombu and forwards it to the stream', async () => {
    const queue = createMemoryQueue()
    const { stream, received } = streamDouble()
    const router = createRouter({ config, queue, stream })
    const response = await router.request('/webhook', webhook('queued'))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-webhook-router-flavour')).toBe('small')
    expect(await queue.depth()).toEqual({ small: 1 })
    expect(received).toHaveLength(1)
  })

  it('forwards in_progress to the stream only', async () => {
    const queue = createMemoryQueue()
    const { stream, received } = streamDouble()
    const router = createRouter({ config, queue, stream })
    const response = await router.request('/webhook', webhook('in_progress'))
    expect(response.headers.get('x-webhook-router-outcome')).toBe('accepted')
    expect(await queue.depth()).toEqual({})
    expect(received).toHaveLength(1)
  })

  it('answers 503 when either side fails, so GitHub redelivers to both', async () => {
    const queue = createMemoryQueue()
    const { stream } = streamDouble(() => Promise.reject(new QueueUnavailableError('down')))
    const router = createRouter({ config, queue, stream })
    expect((await router.request('/webhook', webhook('queued'))).status).toBe(503)
    const healthyStream = streamDouble().stream
    queue.setAvailable(false)
    const other = createRouter({ config, queue, stream: healthyStream })
    expect((await other.request('/webhook', webhook('queued', ['small'], 'd-2'))).status).toBe(503)
    expect((await other.request('/health')).status).toBe(503)
  })

  it('keeps the unroutable answer of the kombu side while the stream still gets the job', async () => {
    const queue = createMemoryQueue()
    const { stream, received } = streamDouble()
    const router = createRouter({ config, queue, stream })
    const response = await router.request('/webhook', webhook('queued', ['gpu']))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('Not able to forward job due to non-matching labels.')
    expect(received).toHaveLength(1)
  })
})

describe('createRouter', () => {
  it('needs a queue or a stream', () => {
    expect(() => createRouter({ config })).toThrow(/needs a queue, a stream, or both/)
  })
})

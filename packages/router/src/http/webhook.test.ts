import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import type { RouterConfigInput } from '../config/router-config.js'
import { createMemoryQueue } from '../queue/memory.js'
import { webhookRequestInit } from '../testing/webhook-request.js'
import type { WebhookRequestOptions } from '../testing/webhook-request.js'
import { workflowJobPayload } from '../testing/workflow-job-payload.js'
import { createRouter } from './router.js'

const jobUrl = 'https://api.github.com/repos/f/actions/jobs/8200803099'
const secret = 'b5a4c7e2f1d0'

function setup(patch: Partial<RouterConfigInput> = {}) {
  const config = defineRouterConfig({
    flavours: [
      { name: 'small', labels: ['x64', 'small'] },
      { name: 'large', labels: ['arm64', 'large'] },
    ],
    defaultFlavour: 'small',
    ...patch,
  })
  const queue = createMemoryQueue()
  const app = createRouter({ config, queue })
  const send = (payload: unknown, options?: WebhookRequestOptions) =>
    app.request('/webhook', webhookRequestInit(payload, options))
  return { app, queue, send }
}

const queued = (labels = ['self-hosted', 'linux', 'arm64']) =>
  workflowJobPayload({ labels, url: jobUrl })

describe('POST /webhook (reference behaviour)', () => {
  it('queues a valid queued job with the self-hosted labels stripped and answers 200', async () => {
    const { send, queue } = setup()
    const response = await send(queued())
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
    expect(response.headers.get('x-webhook-router-flavour')).toBe('large')
    expect(queue.messages()).toEqual([
      {
        id: '1',
        flavour: 'large',
        body: `{"labels":["arm64"],"status":"queued","url":"${jobUrl}"}`,
      },
    ])
  })

  it('sends a job with only self-hosted labels to the default flavour with no labels', async () => {
    const { send, queue } = setup()
    expect((await send(queued(['self-hosted', 'Linux']))).status).toBe(200)
    expect(queue.messages('small')[0]?.body).toBe(
      `{"labels":[],"status":"queued","url":"${jobUrl}"}`,
    )
  })

  it('answers 415 to a body without a JSON content type', async () => {
    const { send } = setup()
    const response = await send('bad data', { contentType: null })
    expect(response.status).toBe(415)
    expect(await response.text()).toBe('Content-Type must be application/json.')
  })

  it('answers 415 to a form-encoded delivery', async () => {
    const { send } = setup()
    const form = `payload=${encodeURIComponent(JSON.stringify(queued()))}`
    const response = await send(form, { contentType: 'application/x-www-form-urlencoded' })
    expect(response.status).toBe(415)
  })

  it('accepts JSON media types with parameters and +json suffixes', async () => {
    const { send, queue } = setup()
    expect((await send(queued(), { contentType: 'Application/JSON; charset=utf-8' })).status).toBe(
      200,
    )
    const second = workflowJobPayload({ jobId: 2 })
    expect((await send(second, { contentType: 'application/vnd.github+json' })).status).toBe(200)
    expect(queue.messages()).toHaveLength(2)
  })

  it('answers 400 to malformed JSON', async () => {
    const { send } = setup()
    const response = await send('bad data')
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('Malformed JSON in request body.')
  })

  it('answers 400 to a body that is not UTF-8', async () => {
    const { app } = setup()
    const init = webhookRequestInit('')
    const response = await app.request('/webhook', {
      ...init,
      body: Uint8Array.from([0x7b, 0xff, 0x7d]),
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('Request body is not valid UTF-8.')
  })

  it('answers 400 when the event header is missing', async () => {
    const { send } = setup()
    const response = await send(queued(), { event: null })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('X-Github-Event header is missing!')
  })

  it('answers 400 to an event other than workflow_job', async () => {
    const { send } = setup()
    const response = await send(queued(), { event: 'push' })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('Webhook event push not supported!')
  })

  it('cuts a long unsupported event name in the answer', async () => {
    const { send } = setup()
    const response = await send(queued(), { event: 'e'.repeat(500) })
    expect(await response.text()).toBe(`Webhook event ${'e'.repeat(64)}… not supported!`)
  })

  it('answers pong to a ping so that creating the hook shows a green tick', async () => {
    const { send, queue } = setup({ secrets: { current: secret } })
    const response = await send(
      { zen: 'Keep it logically awesome.', hook_id: 1 },
      { event: 'ping', secret },
    )
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('pong')
    expect(queue.messages()).toEqual([])
  })

  it('answers 400 with the parse error when the payload lacks a key', async () => {
    const { send } = setup()
    const response = await send({ payload: { action: 'queued' } })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('Could not parse webhook: action key not found in payload')
  })

  it.each([null, 42, '"queued"', '[]', 'true'])(
    'answers 400 to the JSON value %s',
    async (body) => {
      const { send } = setup()
      const response = await send(String(body))
      expect(response.status).toBe(400)
      expect(await response.text()).toBe('Could not parse webhook: payload is not a JSON object')
    },
  )

  it('answers 400 to an unknown action', async () => {
    const { send } = setup()
    const response = await send(workflowJobPayload({ action: 'requested' }))
    expect(response.status).toBe(400)
    expect(await response.text()).toMatch(
      /^Failed to create Webhook object for webhook: action must/,
    )
  })

  it.each(['in_progress', 'completed', 'waiting'])(
    'answers 200 with an empty body to a %s job and queues nothing',
    async (action) => {
      const { send, queue } = setup()
      const response = await send(workflowJobPayload({ action, labels: ['arm64'] }))
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('')
      expect(queue.messages()).toEqual([])
    },
  )

  it('answers 200 with the reference text to a job no flavour can take and queues nothing', async () => {
    const { send, queue } = setup()
    const response = await send(queued(['self-hosted', 'linux', 'noble']))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('Not able to forward job due to non-matching labels.')
    expect(queue.messages()).toEqual([])
  })
})

describe('POST /webhook signatures', () => {
  it('accepts a correctly signed delivery with an empty body', async () => {
    const { send } = setup({ secrets: { current: secret } })
    const response = await send(queued(), { secret })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('answers 403 to a signature with its last character removed', async () => {
    const { send } = setup({ secrets: { current: secret } })
    const signed = webhookRequestInit(queued(), { secret }).headers as Record<string, string>
    const truncated = (signed['X-Hub-Signature-256'] ?? '').slice(0, -1)
    const response = await send(queued(), { headers: { 'X-Hub-Signature-256': truncated } })
    expect(response.status).toBe(403)
    expect(await response.text()).toBe('Signature validation failed!')
  })

  it('answers 403 when the signature header is missing', async () => {
    const { send, queue } = setup({ secrets: { current: secret } })
    const response = await send(queued())
    expect(response.status).toBe(403)
    expect(await response.text()).toBe('X-Hub-signature-256 header is missing!')
    expect(queue.messages()).toEqual([])
  })

  it('accepts the previous secret while rotating and refuses any other', async () => {
    const { send, queue } = setup({ secrets: { current: 'new', previous: 'old' } })
    expect((await send(queued(), { secret: 'old' })).status).toBe(200)
    expect((await send(workflowJobPayload({ jobId: 2 }), { secret: 'new' })).status).toBe(200)
    expect((await send(workflowJobPayload({ jobId: 3 }), { secret: 'guess' })).status).toBe(403)
    expect(queue.messages()).toHaveLength(2)
  })

  it('checks the signature before the event header', async () => {
    const { send } = setup({ secrets: { current: secret } })
    expect((await send(queued(), { event: null, secret: 'wrong' })).status).toBe(403)
  })

  it('checks the event before the content type', async () => {
    const { send } = setup()
    expect((await send('a=b', { event: 'push', contentType: 'text/plain' })).status).toBe(400)
  })
})

describe('POST /webhook body limit', () => {
  const limit = 2048
  const oversized = JSON.stringify({ ...queued(), padding: 'x'.repeat(limit) })

  it('answers 413 from the Content-Length header before checking the signature', async () => {
    const { app } = setup({ maxBodyBytes: limit, secrets: { current: secret } })
    const init = webhookRequestInit(oversized, {
      headers: { 'Content-Length': String(oversized.length) },
    })
    const response = await app.request('/webhook', init)
    expect(response.status).toBe(413)
    expect(await response.text()).toBe(`Request body is larger than ${limit} bytes.`)
  })

  it('trusts a Content-Length over the limit without reading the body', async () => {
    const { app } = setup({ maxBodyBytes: limit })
    let pulled = 0
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled += 1
          controller.enqueue(new Uint8Array(10))
          controller.close()
        },
      },
      { highWaterMark: 0 },
    )
    const headers = { 'Content-Length': String(limit + 1) }
    const init = { ...webhookRequestInit('', { headers }), body, duplex: 'half' } as RequestInit
    expect((await app.request('/webhook', init)).status).toBe(413)
    expect(pulled).toBe(0)
  })

  it('answers 413 to a body longer than the limit whose Content-Length claims it is shorter', async () => {
    const { app, queue } = setup({ maxBodyBytes: limit })
    const init = webhookRequestInit(oversized, { headers: { 'Content-Length': '10' } })
    const response = await app.request('/webhook', init)
    expect(response.status).toBe(413)
    expect(queue.messages()).toEqual([])
  })

  it('answers 413 to a streamed body without Content-Length once it passes the limit', async () => {
    const { app } = setup({ maxBodyBytes: limit, secrets: { current: secret } })
    let pulled = 0
    const chunk = new TextEncoder().encode('x'.repeat(1000))
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1
        controller.enqueue(chunk)
      },
    })
    const init = { ...webhookRequestInit(''), body, duplex: 'half' } as RequestInit
    const response = await app.request('/webhook', init)
    expect(response.status).toBe(413)
    // An endless body is cut off just past the limit, not buffered.
    expect(pulled).toBeLessThan(6)
  })

  it('accepts a body of exactly the limit', async () => {
    const { app, queue } = setup({ maxBodyBytes: limit })
    const base = JSON.stringify(queued())
    const exact = `${base.slice(0, -1)},"pad":"${'x'.repeat(limit - base.length - 9)}"}`
    expect(new TextEncoder().encode(exact).length).toBe(limit)
    const response = await app.request('/webhook', webhookRequestInit(exact))
    expect(response.status).toBe(200)
    expect(queue.messages()).toHaveLength(1)
  })
})

describe('createRouter mounting', () => {
  it('works under a prefix in a host app', async () => {
    const { app, queue } = setup()
    const host = new Hono().route('/gh', app)
    const response = await host.request('/gh/webhook', webhookRequestInit(queued()))
    expect(response.status).toBe(200)
    expect(queue.messages()).toHaveLength(1)
    expect((await host.request('/gh/health')).status).toBe(200)
  })
})

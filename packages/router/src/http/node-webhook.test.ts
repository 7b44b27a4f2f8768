import { request as httpRequest, createServer } from 'node:http'
import { connect } from 'node:net'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import type { RouterConfig } from '../config/router-config.js'
import type { Timers } from '../ports.js'
import { createMemoryQueue } from '../queue/memory.js'
import type { MemoryQueue } from '../queue/memory.js'
import { webhookRequestInit } from '../testing/webhook-request.js'
import type { WebhookRequestOptions } from '../testing/webhook-request.js'
import { workflowJobPayload } from '../testing/workflow-job-payload.js'
import { signBody } from '../webhook/signature.js'
import { createNodeWebhookHandler } from './node-webhook.js'
import { createRouter } from './router.js'
import { createRouterCore } from './router-core.js'

const secret = 'equivalence-secret'
const maxBodyBytes = 2048
const baseConfig = defineRouterConfig({
  flavours: [
    { name: 'small', labels: ['x64', 'small'] },
    { name: 'large', labels: ['arm64', 'large'] },
  ],
  defaultFlavour: 'small',
  maxBodyBytes,
})
const signedConfig: RouterConfig = {
  ...baseConfig,
  secrets: { current: secret, previous: 'old-secret' },
}

// The timeout fires on the next macrotask: a memory queue answers in microtasks, a hung one not.
const immediateTimers: Timers = {
  setTimeout: (callback) => setImmediate(callback),
  clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
}

type Header = readonly [string, string]

/** One request, described once and sent to both servers. */
interface Case {
  readonly name: string
  readonly path?: string
  readonly headers: readonly Header[]
  readonly body: Uint8Array
  /** Send without Content-Length, in chunks of this size. */
  readonly chunked?: number
  readonly queueMode?: 'available' | 'unavailable' | 'hang' | 'broken'
}

interface Answer {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string | undefined>>
}

const comparedHeaders = ['x-webhook-router-outcome', 'x-webhook-router-flavour', 'content-type']
const servers: Server[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))))
})

function queueWithModes() {
  const memory = createMemoryQueue()
  let broken = false
  const queue = {
    ...memory,
    publish: (...args: Parameters<MemoryQueue['publish']>) =>
      broken ? Promise.reject(new Error('disk on fire')) : memory.publish(...args),
  }
  const setMode = (mode: NonNullable<Case['queueMode']>) => {
    broken = mode === 'broken'
    memory.setMode(mode === 'broken' ? 'available' : mode)
  }
  return { memory, queue, setMode }
}

/** A Hono app and a node:http fast-path server over twin routers, each with its own queue. */
async function twins(config: RouterConfig) {
  const hono = queueWithModes()
  const node = queueWithModes()
  const app = createRouter({ config, queue: hono.queue, timers: immediateTimers })
  const fastPath = createNodeWebhookHandler(
    createRouterCore({ config, queue: node.queue, timers: immediateTimers }),
  )
  const server = createServer((req, res) => {
    if (fastPath(req, res)) return
    res.writeHead(404).end('not the fast path')
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { app, port, hono, node }
}

async function viaHono(app: ReturnType<typeof createRouter>, c: Case): Promise<Answer> {
  const body = c.chunked === undefined ? c.body : chunkStream(c.body, c.chunked)
  const init = {
    method: 'POST',
    headers: c.headers.map(([name, value]) => [name, value]),
    body,
    duplex: 'half',
  } as RequestInit
  const response = await app.request(c.path ?? '/webhook', init)
  const headers = Object.fromEntries(
    comparedHeaders.map((name) => [name, response.headers.get(name) ?? undefined]),
  )
  return { status: response.status, body: await response.text(), headers }
}

function viaNode(port: number, c: Case): Promise<Answer> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of c.headers) {
    const key = name.toLowerCase()
    const previous = headers[key]
    headers[key] = previous === undefined ? value : [previous, value].flat()
  }
  if (c.chunked === undefined) headers['content-length'] = String(c.body.byteLength)
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: c.path ?? '/webhook', headers },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const picked = Object.fromEntries(
            comparedHeaders.map((name) => [name, response.headers[name] as string | undefined]),
          )
          const body = Buffer.concat(chunks).toString('utf8')
          resolve({ status: response.statusCode ?? 0, body, headers: picked })
        })
      },
    )
    request.on('error', reject)
    if (c.chunked === undefined) request.end(c.body)
    else {
      for (let at = 0; at < c.body.byteLength; at += c.chunked) {
        request.write(c.body.subarray(at, at + c.chunked))
      }
      request.end()
    }
  })
}

function chunkStream(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close()
      controller.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

const encoder = new TextEncoder()

function delivery(name: string, payload: unknown, options: WebhookRequestOptions = {}): Case {
  const init = webhookRequestInit(payload, options)
  const headers = Object.entries(init.headers as Record<string, string>)
  return { name, headers, body: encoder.encode(init.body as string) }
}

const queued = (jobId: number, labels = ['self-hosted', 'x64', 'small']) =>
  workflowJobPayload({ jobId, labels })

function inventory(): Case[] {
  const signed = (name: string, payload: unknown, options: WebhookRequestOptions = {}) =>
    delivery(name, payload, { secret, ...options })
  const oversized = JSON.stringify({ padding: 'x'.repeat(maxBodyBytes) })
  const exact = JSON.stringify({ padding: 'x'.repeat(maxBodyBytes - 14) })
  const badSignature = signed('bad signature', queued(90), { deliveryId: 'g-bad' })
  const cases: Case[] = [
    signed('a routable queued job', queued(1), { deliveryId: 'g-1' }),
    signed('a redelivery', queued(1), { deliveryId: 'g-1' }),
    signed('a second delivery of one job', queued(1), { deliveryId: 'g-2' }),
    signed('an unroutable job', queued(3, ['self-hosted', 'gpu']), { deliveryId: 'g-3' }),
    signed('a job in progress', workflowJobPayload({ jobId: 4, action: 'in_progress' })),
    signed('an unknown action', workflowJobPayload({ jobId: 5, action: 'bogus' })),
    signed('a ping', { zen: 'Keep it simple' }, { event: 'ping' }),
    signed('no event header', queued(6), { event: null }),
    signed('a push event', queued(7), { event: 'push' }),
    signed('a very long event', queued(8), { event: 'e'.repeat(200) }),
    signed('no content type', queued(9), { contentType: null }),
    signed('a form body', queued(10), { contentType: 'application/x-www-form-urlencoded' }),
    signed('a +json media type', queued(11), { contentType: 'application/vnd.gh+json; q=1' }),
    signed('malformed JSON', '{"action": '),
    { ...signed('a body that is not UTF-8', ''), body: Uint8Array.of(0x7b, 0xff, 0x7d) },
    signed('a payload without workflow_job', { action: 'queued' }),
    delivery('no signature', queued(12)),
    {
      ...badSignature,
      name: 'a wrong signature',
      headers: badSignature.headers.map(([k, v]): Header => [
        k,
        k.startsWith('X-Hub') ? v.slice(0, -1) : v,
      ]),
    },
    delivery('the previous secret', queued(13), { secret: 'old-secret', deliveryId: 'g-13' }),
    signed('an oversized body with Content-Length', oversized),
    { ...signed('an oversized chunked body', oversized), chunked: 512 },
    signed('a body of exactly the limit', exact),
    { ...signed('a small chunked delivery', queued(14), { deliveryId: 'g-14' }), chunked: 7 },
    signed('a query string on the path', queued(15), { deliveryId: 'g-15' }),
    {
      ...signed('repeated content types', queued(16), { contentType: null }),
      headers: [
        ...signed('', queued(16), { contentType: null }).headers,
        ['Content-Type', 'application/json'] as const,
        ['Content-Type', 'application/json'] as const,
      ],
    },
    {
      ...signed('queue unavailable', queued(17), { deliveryId: 'g-17' }),
      queueMode: 'unavailable',
    },
    { ...signed('queue hung', queued(18), { deliveryId: 'g-18' }), queueMode: 'hang' },
    { ...signed('queue failing', queued(19), { deliveryId: 'g-19' }), queueMode: 'broken' },
    signed('the queue back', queued(19), { deliveryId: 'g-19' }),
  ]
  return cases.map((c) =>
    c.name === 'a query string on the path' ? { ...c, path: '/webhook?x=1' } : c,
  )
}

function recordingLogger() {
  const lines: { level: string; message: string }[] = []
  const at = (level: string) => (message: string) => void lines.push({ level, message })
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  }
}

async function listenFastPath(handler: ReturnType<typeof createNodeWebhookHandler>) {
  const server = createServer((req, res) => void handler(req, res))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

describe('node:http fast path', () => {
  it('answers every case of the inventory exactly as the Hono app does', async () => {
    const { app, port, hono, node } = await twins(signedConfig)
    const outcomes = new Set<string | undefined>()
    for (const c of inventory()) {
      hono.setMode(c.queueMode ?? 'available')
      node.setMode(c.queueMode ?? 'available')
      const expected = await viaHono(app, c)
      const actual = await viaNode(port, c)
      expect(actual, c.name).toEqual(expected)
      outcomes.add(expected.headers['x-webhook-router-outcome'])
    }
    // The inventory really reaches every way a webhook can end but an internal failure.
    expect([...outcomes].sort()).toEqual(
      [
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
      ].sort(),
    )
    expect(node.memory.messages()).toEqual(hono.memory.messages())
  })

  it('answers an unsigned router’s deliveries as the Hono app does', async () => {
    const { app, port } = await twins(baseConfig)
    for (const c of [delivery('unsigned', queued(1)), delivery('no event', {}, { event: null })]) {
      expect(await viaNode(port, c), c.name).toEqual(await viaHono(app, c))
    }
  })

  it('leaves other methods and paths to the host', async () => {
    const { port } = await twins(baseConfig)
    const c = delivery('valid', queued(1))
    for (const path of ['/webhook/', '/webhooks', '/route', '/gh/webhook']) {
      const answer = await viaNode(port, { ...c, path })
      expect(answer.status, path).toBe(404)
      expect(answer.body, path).toBe('not the fast path')
    }
    const get = await fetch(`http://127.0.0.1:${port}/webhook`)
    expect(get.status).toBe(404)
  })

  it('shares the queue and metrics with the Hono app built from the same core', async () => {
    const queue = createMemoryQueue()
    const registry = new Registry()
    const core = createRouterCore({ config: baseConfig, queue, registry })
    const app = createRouter(core)
    const port = await listenFastPath(createNodeWebhookHandler(core))
    const c = delivery('first', queued(1), { deliveryId: 'shared-1' })

    expect((await viaNode(port, c)).headers['x-webhook-router-outcome']).toBe('accepted')
    expect((await viaHono(app, c)).body).toBe('duplicate delivery')
    expect(queue.messages()).toHaveLength(1)
    const webhooks = await registry.getSingleMetric('webhook_router_webhooks_total')?.get()
    const total = webhooks?.values.reduce((sum, value) => sum + value.value, 0)
    expect(total).toBe(2)
  })

  it('answers a retryable 503 and logs when the pipeline throws', async () => {
    const { lines, logger } = recordingLogger()
    const core = createRouterCore({ config: baseConfig, queue: createMemoryQueue(), logger })
    const failing = { ...core, handleWebhook: () => Promise.reject(new Error('metrics broke')) }
    const port = await listenFastPath(createNodeWebhookHandler(failing))

    const answer = await viaNode(port, delivery('any', queued(1)))
    expect(answer.status).toBe(503)
    expect(answer.body).toBe('Router failed to handle the request; redeliver later.')
    expect(lines).toEqual([{ level: 'error', message: 'unexpected router error' }])
  })

  it('only warns, queues nothing and keeps serving when a client hangs up mid-body', async () => {
    const { lines, logger } = recordingLogger()
    const queue = createMemoryQueue()
    const port = await listenFastPath(
      createNodeWebhookHandler(createRouterCore({ config: baseConfig, queue, logger })),
    )
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(
      'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'X-GitHub-Event: workflow_job\r\nContent-Length: 500\r\n\r\n{"action":',
    )
    await new Promise((resolve) => setImmediate(resolve))
    socket.destroy()
    await expect
      .poll(() => lines)
      .toEqual([{ level: 'warn', message: 'client closed the connection before the body ended' }])
    expect(queue.messages()).toHaveLength(0)
    const next = await viaNode(port, delivery('next', queued(2)))
    expect(next.headers['x-webhook-router-outcome']).toBe('accepted')
  })
})

/** mulberry32: seeded, so a failing case can be replayed from its index. */
function prng(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number) => Math.floor(next() * max)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  return { int, pick, chance: (p: number) => next() < p }
}

function randomCase(r: ReturnType<typeof prng>, index: number): Case {
  const payload = workflowJobPayload({
    jobId: r.int(30) + 1,
    labels: r.pick([['self-hosted', 'x64'], ['arm64', 'large'], ['gpu'], [], ['small', 'large']]),
    action: r.pick(['queued', 'queued', 'completed', 'bogus']),
  })
  const job = payload.workflow_job as Record<string, unknown>
  if (r.chance(0.2)) job[r.pick(['labels', 'url', 'id'])] = r.pick([null, 7, 'x', [1], {}])
  const text = JSON.stringify(payload)
  const body = r.pick([
    text,
    text,
    text.slice(0, r.int(text.length)),
    'x'.repeat(maxBodyBytes + r.int(3)),
    String.fromCharCode(...Array.from({ length: r.int(40) }, () => r.int(256))),
  ])
  const bytes = r.chance(0.1) ? Uint8Array.of(0xc3, 0x28) : encoder.encode(body)
  const c = delivery(`fuzz ${index}`, '', {
    secret: r.chance(0.8) ? secret : undefined,
    event: r.pick(['workflow_job', 'workflow_job', 'ping', 'push', '', null]),
    contentType: r.pick(['application/json', 'application/json', 'text/plain', null]),
    deliveryId: r.chance(0.7) ? `fuzz-${r.int(60)}` : undefined,
  })
  const headers = c.headers.map(([name, value]): readonly [string, string] =>
    name === 'X-Hub-Signature-256' && r.chance(0.9)
      ? [name, signBody(bytes, secret)]
      : [name, value],
  )
  return {
    ...c,
    headers,
    body: bytes,
    ...(r.chance(0.2) ? { chunked: r.int(700) + 1 } : {}),
    queueMode: r.pick(['available', 'available', 'available', 'unavailable', 'hang', 'broken']),
  }
}

describe('node:http fast path fuzz', () => {
  it('answers hundreds of random deliveries as the Hono app does, never with a 500', async () => {
    const r = prng(20261128)
    const { app, port, hono, node } = await twins(signedConfig)
    for (let index = 0; index < 400; index++) {
      const c = randomCase(r, index)
      hono.setMode(c.queueMode ?? 'available')
      node.setMode(c.queueMode ?? 'available')
      const expected = await viaHono(app, c)
      const actual = await viaNode(port, c)
      expect(actual, c.name).toEqual(expected)
      expect(actual.status, c.name).not.toBe(500)
      if (actual.status === 503) expect(c.queueMode, c.name).not.toBe('available')
    }
    expect(node.memory.messages()).toEqual(hono.memory.messages())
  }, 60_000)
})

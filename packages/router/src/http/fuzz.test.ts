import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import { createMemoryQueue } from '../queue/memory.js'
import type { MemoryQueue } from '../queue/memory.js'
import type { JobQueue } from '../queue/port.js'
import { workflowJobPayload } from '../testing/workflow-job-payload.js'
import { signBody } from '../webhook/signature.js'
import { webhookOutcomes } from './metrics.js'
import { createRouter, internalErrorText } from './router.js'

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its index. */
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
  return { next, int, pick, chance: (p: number) => next() < p }
}
type Random = ReturnType<typeof prng>

const unicode = [
  'a',
  'Z',
  '-',
  ' ',
  'é',
  'ß',
  '日',
  '🚀',
  '\u0000',
  '\n',
  '"',
  '\\',
  '\ud800',
  '\u202e',
]
const numbers = [0, -0, 1, -1, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, 8200803099, 1.5]

function randomString(r: Random, max = 12): string {
  return Array.from({ length: r.int(max) }, () => r.pick(unicode)).join('')
}

function randomJson(r: Random, depth = 0): unknown {
  const kind = r.int(depth > 3 ? 4 : 7)
  if (kind === 0) return null
  if (kind === 1) return r.chance(0.5)
  if (kind === 2) return r.pick(numbers)
  if (kind === 3) return r.pick([randomString(r), 'queued', 'self-hosted', 'https://x.test/j'])
  if (kind === 4) return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1))
  return Object.fromEntries(
    Array.from({ length: r.int(4) }, () => [
      r.pick(['action', 'workflow_job', 'labels', 'url', 'id', randomString(r, 5)]),
      randomJson(r, depth + 1),
    ]),
  )
}

function mutatedPayload(r: Random): unknown {
  const payload = workflowJobPayload({
    labels: r.chance(0.5)
      ? r.pick([['self-hosted', 'ARM64'], ['x64', 'small'], ['Large'], ['linux']])
      : Array.from({ length: r.int(5) }, () =>
          r.pick(['self-hosted', 'linux', 'x64', 'arm64', 'large', 'noble', randomString(r)]),
        ),
    jobId: r.chance(0.8) ? r.int(1_000_000) + 1 : r.int(20) + 1,
    action: r.pick(['queued', 'queued', 'queued', 'in_progress', 'completed', 'waiting', 'bogus']),
  })
  const job = payload.workflow_job as Record<string, unknown>
  for (let i = r.chance(0.5) ? 0 : r.int(3) + 1; i > 0; i--) {
    const key = r.pick(['action', 'workflow_job', 'labels', 'url', 'id'])
    const target = key === 'action' || key === 'workflow_job' ? payload : job
    if (r.chance(0.3)) delete target[key]
    else target[key] = randomJson(r)
  }
  return payload
}

function randomBody(r: Random): string | Uint8Array {
  const kind = r.int(8)
  if (kind <= 3) return JSON.stringify(mutatedPayload(r))
  if (kind === 4) return JSON.stringify(randomJson(r))
  if (kind === 5) return Uint8Array.from({ length: r.int(64) }, () => r.int(256))
  if (kind === 6) return JSON.stringify(mutatedPayload(r)).slice(0, r.int(200))
  const depth = r.int(20_000)
  return `${'['.repeat(depth)}${']'.repeat(depth)}`
}

const latin1 = () => (r: Random) =>
  Array.from({ length: r.int(20) }, () => String.fromCharCode(0x20 + r.int(0xdf))).join('')

describe('router fuzz', () => {
  it('answers thousands of random requests without a throw, a 500 or an unexplained 503', async () => {
    const r = prng(20261128)
    const secret = 'fuzz-secret'
    const config = defineRouterConfig({
      flavours: [
        { name: 'small', labels: ['x64', 'small'] },
        { name: 'large', labels: ['arm64', 'large'] },
      ],
      defaultFlavour: 'small',
      maxBodyBytes: 32 * 1024,
    })
    const memory = createMemoryQueue()
    let mode: 'available' | 'unavailable' | 'broken' = 'available'
    const queue: JobQueue = {
      ...memory,
      publish: (request, options) =>
        mode === 'broken' ? Promise.reject(new Error('boom')) : memory.publish(request, options),
    }
    const open = createRouter({ config, queue })
    const signed = createRouter({ config: { ...config, secrets: { current: secret } }, queue })
    const seen = new Map<number, number>()
    const encoder = new TextEncoder()
    const randomLatin1 = latin1()

    for (let index = 0; index < 3000; index++) {
      mode = r.pick(['available', 'available', 'available', 'unavailable', 'broken'] as const)
      memory.setAvailable(mode !== 'unavailable')
      const useSecret = r.chance(0.5)
      const path = r.pick(['/webhook', '/webhook', '/webhook', '/webhook', '/route', '/health'])
      const body =
        path === '/route' && r.chance(0.5)
          ? JSON.stringify({ labels: randomJson(r) })
          : randomBody(r)
      const bytes = typeof body === 'string' ? encoder.encode(body) : body
      const headers: Record<string, string> = {}
      const event = r.pick([
        'workflow_job',
        'workflow_job',
        'workflow_job',
        'ping',
        'push',
        '',
        null,
      ])
      if (event !== null) headers['X-GitHub-Event'] = event
      else if (r.chance(0.2)) headers['X-GitHub-Event'] = randomLatin1(r)
      const contentType = r.pick([
        'application/json',
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        null,
      ])
      if (contentType !== null) headers['Content-Type'] = contentType
      if (r.chance(0.7)) headers['X-GitHub-Delivery'] = `guid-${r.chance(0.8) ? index : r.int(40)}`
      if (useSecret && r.chance(0.85)) headers['X-Hub-Signature-256'] = signBody(bytes, secret)
      else if (r.chance(0.3)) headers['X-Hub-Signature-256'] = randomLatin1(r)
      const app = useSecret ? signed : open
      const method = path === '/health' ? 'GET' : 'POST'
      const init: RequestInit = method === 'GET' ? { method } : { method, headers, body: bytes }

      const response = await app.request(path, init)
      const text = await response.text()
      const context = `case ${index}: ${path} ${response.status} ${text.slice(0, 80)}`
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1)
      expect(response.status, context).not.toBe(500)
      expect(text, context).not.toBe(internalErrorText)
      expect(text.includes('\n'), context).toBe(false)
      expect(text.length, context).toBeLessThan(2000)
      if (path === '/webhook') {
        expect([200, 400, 403, 413, 415, 503], context).toContain(response.status)
        expect(webhookOutcomes, context).toContain(response.headers.get('x-webhook-router-outcome'))
        if (response.status === 503) expect(mode, context).not.toBe('available')
      } else if (path === '/route') {
        expect([200, 400, 413, 415], context).toContain(response.status)
      } else {
        expect(response.status, context).toBe(mode === 'unavailable' ? 503 : 200)
      }
    }

    expect([...seen.keys()].sort()).toEqual([200, 400, 403, 413, 415, 503])
    const stored = (memory as MemoryQueue).messages()
    expect(stored.length).toBeGreaterThan(10)
    for (const message of stored) {
      const job = JSON.parse(message.body) as { labels: unknown[]; status: string; url: string }
      expect(job.status).toBe('queued')
      expect(job.labels.every((label) => typeof label === 'string')).toBe(true)
      expect(job.url).toMatch(/^https?:\/\//)
    }
  }, 60_000)
})

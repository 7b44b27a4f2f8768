import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import { createMemoryQueue } from '../queue/memory.js'
import { createRouter } from './router.js'

const config = defineRouterConfig({
  flavours: [
    { name: 'small', labels: ['x64', 'small'] },
    { name: 'large', labels: ['arm64', 'large'] },
  ],
  defaultFlavour: 'small',
  secrets: { current: 'never-shown' },
  maxBodyBytes: 4096,
})
const app = createRouter({ config, queue: createMemoryQueue() })

const ask = (body: string, contentType = 'application/json') =>
  app.request('/route', { method: 'POST', body, headers: { 'Content-Type': contentType } })

describe('POST /route', () => {
  it('explains where labels go without a signature', async () => {
    const response = await ask(JSON.stringify({ labels: ['self-hosted', 'Large'] }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      routed: true,
      flavour: 'large',
      labels: ['large'],
      rule: 'match',
    })
  })

  it('explains why labels go nowhere', async () => {
    const response = await ask(JSON.stringify({ labels: ['arm64', 'x64'] }))
    expect(await response.json()).toEqual({
      routed: false,
      labels: ['arm64', 'x64'],
      code: 'no-single-flavour',
      reason: 'No single flavour has all of the labels "arm64", "x64".',
      unknownLabels: [],
      closest: { flavour: 'small', missingLabels: ['arm64'] },
    })
  })

  it('queues nothing and reveals no secret', async () => {
    const queue = createMemoryQueue()
    const router = createRouter({ config, queue })
    const response = await router.request('/route', {
      method: 'POST',
      body: JSON.stringify({ labels: [] }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(await response.text()).not.toContain('never-shown')
    expect(queue.messages()).toEqual([])
  })

  it.each([
    ['{"labels": "arm64"}'],
    ['{"labels": [1]}'],
    ['{"labels": [], "extra": true}'],
    ['{}'],
    ['[]'],
    [JSON.stringify({ labels: Array.from({ length: 257 }, (_, i) => `l${i}`) })],
  ])('answers 400 to the query %s', async (body) => {
    const response = await ask(body)
    expect(response.status).toBe(400)
    expect(await response.text()).toBe(
      'Expected {"labels": [...]}: at most 256 strings of at most 256 characters.',
    )
  })

  it('answers 400 to malformed JSON, 415 to another media type and 413 to a huge body', async () => {
    expect((await ask('{')).status).toBe(400)
    expect((await ask('{"labels":[]}', 'text/plain')).status).toBe(415)
    expect((await ask(JSON.stringify({ labels: ['x'.repeat(5000)] }))).status).toBe(413)
  })
})

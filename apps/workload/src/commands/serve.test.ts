import { createMemoryQueue, signBody, type JobQueue } from '@webhook-router/router'
import { workflowJobPayload } from '@webhook-router/router/testing'
import { describe, expect, it } from 'vitest'
import { createServeCommand } from './serve.js'
import { exampleRoutingEnv, recordingIo } from './test-io.js'

const env = {
  ...exampleRoutingEnv,
  APP_WEBHOOK_SECRET: 'unit-secret',
  APP_HOST: '127.0.0.1',
  APP_PORT: '0',
  APP_METRICS_PORT: '0',
}

/** Starts serve in-process on free ports; resolves once it listens. */
async function startServe(queue: JobQueue, extraEnv: Record<string, string> = {}) {
  const recorded = recordingIo([], { ...env, ...extraEnv })
  let listening: (ports: { http: number; metrics: number }) => void = () => {}
  const ports = new Promise<{ http: number; metrics: number }>((resolve) => (listening = resolve))
  const command = createServeCommand({
    openQueue: async () => queue,
    collectProcessMetrics: false,
    clock: () => 0,
    onListening: (p) => listening(p),
  })
  const exit = command.run(recorded.io)
  const logs = () => recorded.stdout.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { ...recorded, exit, ports: await Promise.race([ports, exit.then(() => undefined)]), logs }
}

describe('serve (in-process)', () => {
  it('serves webhooks into the queue until stopped, then closes the queue and exits 0', async () => {
    const queue = createMemoryQueue()
    const served = await startServe(queue)
    if (!served.ports) throw new Error(`serve exited: ${served.stderr.join('\n')}`)
    const body = JSON.stringify(workflowJobPayload({ labels: ['arm64'], jobId: 5 }))
    const response = await fetch(`http://127.0.0.1:${served.ports.http}/webhook`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'delivery-5',
        'x-hub-signature-256': signBody(new TextEncoder().encode(body), 'unit-secret'),
      },
    })
    expect(response.status).toBe(200)
    expect(queue.messages('arm64')).toHaveLength(1)

    served.stop.abort('SIGTERM')
    expect(await served.exit).toBe(0)
    expect(served.logs().map((l) => l['msg'])).toEqual(
      expect.arrayContaining(['webhook-router listening', 'stopped']),
    )
    await expect(queue.depth()).rejects.toThrow()
  })

  it('puts the router metrics on the metrics port', async () => {
    const served = await startServe(createMemoryQueue())
    if (!served.ports) throw new Error('serve exited')
    const text = await (await fetch(`http://127.0.0.1:${served.ports.metrics}/metrics`)).text()
    expect(text).toContain('# TYPE webhook_router_webhooks_total counter')
    served.stop.abort('SIGTERM')
    expect(await served.exit).toBe(0)
  })

  it('serves the webhook fast path and the other routes over one router and one registry', async () => {
    const served = await startServe(createMemoryQueue())
    if (!served.ports) throw new Error('serve exited')
    const base = `http://127.0.0.1:${served.ports.http}`
    const body = JSON.stringify(workflowJobPayload({ labels: ['arm64'], jobId: 6 }))
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': 'delivery-6',
      'x-hub-signature-256': signBody(new TextEncoder().encode(body), 'unit-secret'),
    }
    const first = await fetch(`${base}/webhook?via=github`, { method: 'POST', body, headers })
    const again = await fetch(`${base}/webhook`, { method: 'POST', body, headers })
    const route = await fetch(`${base}/route`, {
      method: 'POST',
      body: JSON.stringify({ labels: ['arm64'] }),
      headers: { 'content-type': 'application/json' },
    })
    const metrics = await (await fetch(`http://127.0.0.1:${served.ports.metrics}/metrics`)).text()

    expect(first.headers.get('x-webhook-router-outcome')).toBe('accepted')
    expect(await again.text()).toBe('duplicate delivery')
    expect(((await route.json()) as { flavour: string }).flavour).toBe('arm64')
    expect(metrics).toContain(
      'webhook_router_webhooks_total{event="workflow_job",action="queued",outcome="accepted"} 1',
    )
    expect(metrics).toContain('webhook_router_jobs_queued_total{flavour="arm64"} 1')
    served.stop.abort('SIGTERM')
    expect(await served.exit).toBe(0)
  })

  it('exits 1 with one line when the queue cannot be opened', async () => {
    const recorded = recordingIo([], env)
    const command = createServeCommand({
      openQueue: async () => {
        throw new Error('disk full')
      },
      collectProcessMetrics: false,
    })
    expect(await command.run(recorded.io)).toBe(1)
    expect(recorded.stderr).toEqual(['webhook-router serve: cannot open the queue: disk full'])
  })

  it('exits 1 when a local queue cannot be migrated', async () => {
    const queue = { ...createMemoryQueue(), kind: 'sqlite' as const }
    queue.migrate = async () => {
      throw new Error('database is locked')
    }
    const served = await startServe(queue)
    expect(served.ports).toBeUndefined()
    expect(await served.exit).toBe(1)
    expect(served.stderr).toEqual([
      'webhook-router serve: cannot prepare the queue: database is locked',
    ])
  })

  it('keeps serving, unready, when MongoDB is down at start', async () => {
    const memory = createMemoryQueue()
    const queue: JobQueue = {
      ...memory,
      kind: 'mongodb',
      location: 'mongodb://db:27017/x',
      migrate: async () => {
        throw new Error('server selection timed out')
      },
      checkWritable: async () => {
        throw new Error('server selection timed out')
      },
    }
    const served = await startServe(queue)
    if (!served.ports) throw new Error('serve exited')
    expect(served.logs()).toContainEqual(
      expect.objectContaining({ level: 'warning', reason: 'server selection timed out' }),
    )
    const health = await fetch(`http://127.0.0.1:${served.ports.http}/health`)
    expect(health.status).toBe(503)
    served.stop.abort('SIGTERM')
    expect(await served.exit).toBe(0)
  })

  it('exits 1 with the ConfigError message and never listens when the routing config is invalid', async () => {
    const recorded = recordingIo([], { ...env, APP_DEFAULT_FLAVOUR: '' })
    const command = createServeCommand({ openQueue: async () => createMemoryQueue() })
    expect(await command.run(recorded.io)).toBe(1)
    expect(recorded.stderr).toEqual(['DEFAULT_FLAVOUR config is not set!'])
    expect(recorded.stdout).toEqual([])
  })

  it('exits 0 without listening when stopped while the queue is still being prepared', async () => {
    const queue = { ...createMemoryQueue(), kind: 'sqlite' as const }
    queue.migrate = (options) =>
      new Promise((_resolve, reject) => {
        if (options?.signal?.aborted) reject(new Error('aborted'))
        options?.signal?.addEventListener('abort', () => reject(new Error('aborted')))
      })
    const recorded = recordingIo([], env)
    const exit = createServeCommand({
      openQueue: async () => queue,
      collectProcessMetrics: false,
    }).run(recorded.io)
    recorded.stop.abort('SIGTERM')
    expect(await exit).toBe(0)
    expect(recorded.stdout).toEqual([])
  })

  it('exits 1 with one line when the automatic redelivery settings are invalid', async () => {
    const recorded = recordingIo([], { ...env, APP_REDELIVERY_INTERVAL: 'often' })
    const command = createServeCommand({ openQueue: async () => createMemoryQueue() })
    expect(await command.run(recorded.io)).toBe(1)
    expect(recorded.stderr).toHaveLength(1)
    expect(recorded.stderr[0]).toMatch(/^webhook-router serve: .*APP_REDELIVERY_INTERVAL/)
  })
})

import { request } from 'node:http'
import { randomUUID } from 'node:crypto'
import { signBody } from '@webhook-router/router'
import { workflowJobPayload } from '@webhook-router/router/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli, SECRET, startServe, tempEnv, type Served } from './workload-harness.js'

const running: Served[] = []
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const served of running.splice(0)) served.child.kill('SIGKILL')
  for (const cleanup of cleanups.splice(0)) cleanup()
})

async function serve(extra: Record<string, string> = {}) {
  const temp = tempEnv(extra)
  cleanups.push(temp.cleanup)
  const served = await startServe(temp.env)
  running.push(served)
  return { ...temp, served }
}

function signedWebhook(labels: string[], jobId: number) {
  const body = JSON.stringify(workflowJobPayload({ labels, jobId }))
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signBody(new TextEncoder().encode(body), SECRET),
    },
  }
}

describe('webhook-router serve (process)', () => {
  it('logs where it listens and which queue it uses, without a secret warning when one is set', async () => {
    const { served, env } = await serve()
    const line = await served.waitForLog(/^webhook-router listening$/)
    expect(line).toMatchObject({
      level: 'info',
      queue_kind: 'sqlite',
      queue_location: expect.stringContaining(env['APP_QUEUE_PATH'] ?? '?'),
      flavours: ['small', 'large', 'arm64'],
      default_flavour: 'small',
    })
    expect(String(line['webhook_url'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/)
    expect(served.logs.some((l) => /no webhook secret/.test(String(l['msg'])))).toBe(false)
  })

  it('warns at start when no webhook secret is set', async () => {
    const { served } = await serve({ APP_WEBHOOK_SECRET: '' })
    const warning = await served.waitForLog(/no webhook secret is set/)
    expect(warning['level']).toBe('warning')
  })

  it('logs the routing linter warnings at start', async () => {
    const { served } = await serve({
      APP_FLAVOURS: '[{large: [large, x64]}, {big: [large]}]',
      APP_DEFAULT_FLAVOUR: 'large',
    })
    const warning = await served.waitForLog(/^Flavour 'big' never receives jobs/)
    expect(warning).toMatchObject({ level: 'warning', code: 'flavour-shadowed', flavour: 'big' })
  })

  it('accepts a signed webhook, and queue peek shows the job', async () => {
    const { served, env } = await serve()
    const webhook = signedWebhook(['self-hosted', 'linux', 'large', 'x64'], 4242)
    const response = await fetch(`${served.baseUrl}/webhook`, { method: 'POST', ...webhook })
    expect(response.status).toBe(200)

    const peek = await runCli(['queue', 'peek', 'large'], env)
    expect(peek.code).toBe(0)
    expect(JSON.parse(peek.stdout)).toEqual({
      labels: ['large', 'x64'],
      status: 'queued',
      url: 'https://api.github.com/repos/octo-org/octo-repo/actions/jobs/4242',
    })
    const depth = await runCli(['queue', '--json'], env)
    expect(JSON.parse(depth.stdout)).toEqual({ small: 0, large: 1, arm64: 0 })
  })

  it('rejects a webhook signed with another secret with 403 and stores nothing', async () => {
    const { served, env } = await serve()
    const webhook = signedWebhook(['large', 'x64'], 1)
    webhook.headers['x-hub-signature-256'] = signBody(new TextEncoder().encode(webhook.body), 'x')
    const response = await fetch(`${served.baseUrl}/webhook`, { method: 'POST', ...webhook })
    expect(response.status).toBe(403)
    expect(JSON.parse((await runCli(['queue', '--json'], env)).stdout)).toEqual({
      small: 0,
      large: 0,
      arm64: 0,
    })
  })

  it('serves the router metrics and the process defaults on the metrics port', async () => {
    const { served } = await serve()
    const webhook = signedWebhook(['arm64'], 7)
    await fetch(`${served.baseUrl}/webhook`, { method: 'POST', ...webhook })
    const response = await fetch(served.metricsUrl)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    expect(text).toMatch(/^webhook_router_jobs_queued_total\{flavour="arm64"\} 1$/m)
    expect(text).toContain('webhook_router_webhooks_total{')
    expect(text).toMatch(/^process_cpu_seconds_total \d/m)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m)
    // Collected once: a second collection would have thrown at start or duplicated the help line.
    expect(text.match(/^# HELP process_cpu_seconds_total /gm)).toHaveLength(1)
  })

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const { served, env } = await serve()
    const webhook = signedWebhook(['small', 'x64'], 99)
    const body = Buffer.from(webhook.body)
    const half = body.length >> 1
    const response = new Promise<number>((resolve, reject) => {
      const req = request(`${served.baseUrl}/webhook`, {
        method: 'POST',
        headers: {
          ...webhook.headers,
          'content-length': String(body.length),
          expect: '100-continue',
        },
      })
      // 100 Continue proves the server has the request; only then is the stop signalled.
      req.on('continue', async () => {
        req.write(body.subarray(0, half))
        served.child.kill('SIGTERM')
        await served.waitForLog(/^stopping/)
        req.end(body.subarray(half))
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
    })
    expect(await response).toBe(200)
    expect(await served.exited).toBe(0)
    expect(served.logs.map((l) => l['msg'])).toContain('stopped')
    const peek = await runCli(['queue', 'peek', 'small'], env)
    expect(JSON.parse(peek.stdout)).toMatchObject({ labels: ['small', 'x64'] })
  })

  it('refuses new connections once stopping', async () => {
    const { served } = await serve()
    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    await expect(fetch(`${served.baseUrl}/health`)).rejects.toThrow()
  })

  it('cuts a request still in flight at APP_SHUTDOWN_TIMEOUT_MS, warns, and exits 0', async () => {
    const { served } = await serve({ APP_SHUTDOWN_TIMEOUT_MS: '300' })
    const stalled = await stallRequest(served)
    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    expect(served.logs.map((l) => l['msg'])).toContain('drain timed out; open connections were cut')
    await expect(stalled.response).rejects.toThrow()
  })

  it('exits 1 at once on a second signal while draining', async () => {
    const { served } = await serve({ APP_SHUTDOWN_TIMEOUT_MS: '60000' })
    const stalled = await stallRequest(served)
    served.child.kill('SIGTERM')
    await served.waitForLog(/^stopping/)
    served.child.kill('SIGINT')
    expect(await served.exited).toBe(1)
    expect(served.stderr()).toBe('webhook-router: SIGINT again, exiting without draining\n')
    await expect(stalled.response).rejects.toThrow()
  })
})

/** Sends headers only and never the body; resolves once the server has the request. */
async function stallRequest(served: Served): Promise<{ response: Promise<number> }> {
  let arrived: () => void = () => {}
  const started = new Promise<void>((resolve) => (arrived = resolve))
  const response = new Promise<number>((resolve, reject) => {
    const req = request(`${served.baseUrl}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': '100',
        expect: '100-continue',
      },
    })
    req.on('continue', () => arrived())
    req.on('response', (res) => resolve(res.statusCode ?? 0))
    req.on('error', reject)
  })
  // Swallowed here and asserted by the caller; without it the rejection would be unhandled.
  response.catch(() => undefined)
  await started
  // Wrapped: an async function returning the promise itself would wait for it.
  return { response }
}

// Issue #3 end to end: a webhook fails while the queue (or the whole router) is down, GitHub is
// asked to redeliver it after recovery, and the job is queued exactly once.
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { createAdaptorServer } from '@hono/node-server'
import { startGitHubDouble } from '@webhook-router/redelivery/testing'
import type { GitHubDouble } from '@webhook-router/redelivery/testing'
import { createMemoryQueue, createRouter, parseRouterConfig } from '@webhook-router/router'
import { workflowJobPayload } from '@webhook-router/router/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { runCli, SECRET, startServe, tempEnv } from './workload-harness.js'

const routing = {
  APP_FLAVOURS: '- small: [small, x64]\n- large: [large, x64]',
  APP_DEFAULT_FLAVOUR: 'small',
  APP_DEFAULT_SELF_HOSTED_LABELS: 'self-hosted,linux',
  APP_WEBHOOK_SECRET: SECRET,
}
const repoHook = { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 }

let github: GitHubDouble
beforeEach(async () => {
  github = await startGitHubDouble()
})
afterEach(async () => {
  await github.close()
})

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

/** The environment a user gives `webhook-router redeliver`. */
const cliEnv = () => ({
  PATH: process.env['PATH'] ?? '',
  GITHUB_TOKEN: 'test-token',
  GITHUB_API_URL: github.url,
})
const cliArgs = [
  'redeliver',
  '--since',
  '3600',
  '--github-path',
  'octo-org/octo-repo',
  '--webhook-id',
  '1234',
]

describe('redelivery end to end', () => {
  it('queues a job that failed while the queue was down exactly once after redelivery', async () => {
    const queue = createMemoryQueue()
    const router = createRouter({ config: parseRouterConfig(routing), queue })
    const server = createAdaptorServer({
      fetch: router.fetch,
      overrideGlobalObjects: false,
    }) as Server
    const port = await listen(server)
    github.addHook({ ...repoHook, url: `http://127.0.0.1:${port}/webhook`, secret: SECRET })
    const payload = workflowJobPayload({ labels: ['self-hosted', 'linux', 'large'], jobId: 42 })

    queue.setAvailable(false)
    const failed = await github.sendWebhook(repoHook, { event: 'workflow_job', payload })
    expect(failed.json).toMatchObject({ status: 'Invalid HTTP Response: 503', status_code: 503 })
    expect(queue.messages()).toEqual([])
    queue.setAvailable(true)

    const dryRun = await runCli([...cliArgs, '--dry-run'], cliEnv())
    expect(dryRun.code, dryRun.stderr).toBe(0)
    expect(dryRun.stdout.trim().split('\n').at(-1)).toBe('{"redelivered": 0, "would_redeliver": 1}')
    expect(dryRun.stderr).toContain(`would redeliver delivery ${failed.id} (guid ${failed.guid}`)
    expect(github.attempts).toEqual([])

    const real = await runCli(cliArgs, cliEnv())
    expect(real.stderr).toContain(`redelivered delivery ${failed.id}`)
    expect(real.code, real.stderr).toBe(0)
    expect(real.stdout.trim().split('\n').at(-1)).toBe('{"redelivered": 1}')
    const [redelivered] = github.deliveries(repoHook)
    expect(redelivered?.json).toMatchObject({ guid: failed.guid, redelivery: true, status: 'OK' })
    expect(queue.messages('large').map((m) => JSON.parse(m.body))).toEqual([
      {
        labels: ['large'],
        status: 'queued',
        url: 'https://api.github.com/repos/octo-org/octo-repo/actions/jobs/42',
      },
    ])

    // A second run finds the webhook delivered and leaves it alone.
    const again = await runCli(cliArgs, cliEnv())
    expect(again.stdout.trim().split('\n').at(-1)).toBe('{"redelivered": 0}')
    expect(again.stderr).toContain('1 succeeded, 1 webhook-already-delivered')

    // Someone redelivers the old failed delivery from GitHub's UI anyway: the router dedups it.
    const manual = await fetch(
      `${github.url}/repos/octo-org/octo-repo/hooks/1234/deliveries/${failed.id}/attempts`,
      { method: 'POST', headers: { authorization: 'token test-token' } },
    )
    expect(manual.status).toBe(202)
    expect(github.deliveries(repoHook)[0]?.json).toMatchObject({ guid: failed.guid, status: 'OK' })
    expect(queue.messages()).toHaveLength(1)
    await close(server)
  })

  it('serve recovers a webhook that failed while it was not running, once', async () => {
    // Reserve a port, then free it: GitHub's delivery finds nobody listening there.
    const probe = createServer()
    const port = await listen(probe)
    await close(probe)
    github.addHook({ ...repoHook, url: `http://127.0.0.1:${port}/webhook`, secret: SECRET })
    const payload = workflowJobPayload({ labels: ['self-hosted', 'linux', 'small'], jobId: 7 })
    const failed = await github.sendWebhook(repoHook, { event: 'workflow_job', payload })
    expect(failed.status).toBe('failed to connect')

    const { env, cleanup } = tempEnv({
      ...routing,
      APP_PORT: String(port),
      APP_REDELIVERY_INTERVAL: '10',
      APP_REDELIVERY_GITHUB_PATH: 'octo-org/octo-repo',
      APP_REDELIVERY_WEBHOOK_ID: '1234',
      GITHUB_TOKEN: 'test-token',
      GITHUB_API_URL: github.url,
    })
    try {
      const served = await startServe(env)
      const asked = await served.waitForLog(/^asked GitHub to redeliver a failed webhook$/)
      expect(asked).toMatchObject({ delivery_id: failed.id, guid: failed.guid })
      expect(github.deliveries(repoHook)[0]?.json).toMatchObject({
        guid: failed.guid,
        redelivery: true,
        status: 'OK',
      })

      const metrics = await (await fetch(served.metricsUrl)).text()
      expect(metrics).toMatch(/^webhook_router_redeliveries_total 1$/m)
      served.child.kill('SIGTERM')
      expect(await served.exited).toBe(0)

      const depth = await runCli(['queue', '--json'], env)
      expect(depth.code, depth.stderr).toBe(0)
      expect(JSON.parse(depth.stdout)).toMatchObject({ small: 1 })
    } finally {
      cleanup()
    }
  })

  it('serve refuses to start when automatic redelivery is half configured', async () => {
    const { env, cleanup } = tempEnv({
      ...routing,
      APP_REDELIVERY_INTERVAL: '60',
      GITHUB_TOKEN: 'ghp_secret',
    })
    try {
      const result = await runCli(['serve'], env)
      expect(result.code).toBe(1)
      expect(result.stderr.trim()).toBe(
        'webhook-router serve: APP_REDELIVERY_INTERVAL is set but APP_REDELIVERY_GITHUB_PATH and APP_REDELIVERY_WEBHOOK_ID are not',
      )
    } finally {
      cleanup()
    }
  })
})

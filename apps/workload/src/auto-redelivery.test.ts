import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import type { SchedulerTimers } from '@webhook-router/redelivery'
import { startGitHubDouble } from '@webhook-router/redelivery/testing'
import type { GitHubDouble } from '@webhook-router/redelivery/testing'
import type { Logger } from '@webhook-router/router'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { parseAutoRedeliveryEnv, startAutoRedelivery } from './auto-redelivery.js'
import type { AutoRedeliveryConfig } from './auto-redelivery.js'

const base = {
  APP_REDELIVERY_INTERVAL: '60',
  APP_REDELIVERY_GITHUB_PATH: 'octo-org/octo-repo',
  APP_REDELIVERY_WEBHOOK_ID: '1234',
  GITHUB_TOKEN: 'test-token',
}

describe('parseAutoRedeliveryEnv', () => {
  it.each([undefined, '', '0'])('is off when APP_REDELIVERY_INTERVAL is %j', (value) => {
    expect(parseAutoRedeliveryEnv({ ...base, APP_REDELIVERY_INTERVAL: value })).toBeUndefined()
  })

  it('reads the hook, credentials and a window of twice the interval', () => {
    expect(parseAutoRedeliveryEnv({ ...base, APP_REDELIVERY_INTERVAL: '900' })).toEqual({
      intervalSeconds: 900,
      windowSeconds: 1800,
      hook: { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 },
      auth: { kind: 'token', token: 'test-token' },
      baseUrl: 'https://api.github.com',
    })
  })

  it('never looks back less than ten minutes', () => {
    expect(parseAutoRedeliveryEnv(base)?.windowSeconds).toBe(600)
  })

  it.each(['5', '-60', '1m', '100000'])('rejects the interval %j', (value) => {
    expect(() => parseAutoRedeliveryEnv({ ...base, APP_REDELIVERY_INTERVAL: value })).toThrow(
      "Invalid 'APP_REDELIVERY_INTERVAL' config.",
    )
  })

  it('names the missing webhook address variables', () => {
    expect(() =>
      parseAutoRedeliveryEnv({ APP_REDELIVERY_INTERVAL: '60', GITHUB_TOKEN: 't' }),
    ).toThrow(
      'APP_REDELIVERY_INTERVAL is set but APP_REDELIVERY_GITHUB_PATH and APP_REDELIVERY_WEBHOOK_ID are not',
    )
  })

  it('rejects a malformed GitHub path', () => {
    expect(() => parseAutoRedeliveryEnv({ ...base, APP_REDELIVERY_GITHUB_PATH: 'a/b/c' })).toThrow(
      'Invalid automatic redelivery config. Invalid GitHub path',
    )
  })

  it('requires GitHub credentials', () => {
    expect(() => parseAutoRedeliveryEnv({ ...base, GITHUB_TOKEN: undefined })).toThrow(
      'No GitHub credentials',
    )
  })
})

const noTimers: SchedulerTimers = { setTimeout: () => 0, clearTimeout: () => {} }

function collectingLogger() {
  const lines: string[] = []
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`)
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  }
  return { lines, logger }
}

async function metric(registry: Registry, name: string): Promise<string> {
  return registry.getSingleMetricAsString(name)
}

/** A webhook receiver on loopback that always answers `status`. */
async function startReceiver(status: number) {
  let hits = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      hits += 1
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

describe('startAutoRedelivery', () => {
  const hook = { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 }
  let github: GitHubDouble
  let config: AutoRedeliveryConfig
  beforeEach(async () => {
    github = await startGitHubDouble()
    const parsed = parseAutoRedeliveryEnv(base)
    if (parsed === undefined) throw new Error('expected a config')
    config = { ...parsed, baseUrl: github.url }
  })
  afterEach(async () => {
    await github.close()
  })

  it('scans at start, redelivers failures and counts them', async () => {
    github.addHook(hook)
    github.addDelivery(hook, { id: 1, status: 'failed to connect', deliveredAt: new Date() })
    github.addDelivery(hook, { id: 2, status: 'OK', deliveredAt: new Date() })
    const registry = new Registry()
    const { lines, logger } = collectingLogger()
    const recovery = startAutoRedelivery({
      config,
      registry,
      logger,
      timers: noTimers,
      now: Date.now,
    })
    await recovery.runOnce()
    expect(github.attempts).toEqual([
      { hook: 'repos/octo-org/octo-repo/hooks/1234', deliveryId: 1 },
    ])
    expect(await metric(registry, 'webhook_router_redeliveries_total')).toContain(
      'webhook_router_redeliveries_total 1',
    )
    expect(
      await metric(registry, 'webhook_router_redelivery_last_success_timestamp_seconds'),
    ).toMatch(/webhook_router_redelivery_last_success_timestamp_seconds \d{10}/)
    expect(lines[0]).toContain('automatic redelivery on')
    expect(lines.some((line) => line.includes('asked GitHub to redeliver a failed webhook'))).toBe(
      true,
    )
    await recovery.stop()
  })

  it('counts a failed scan by kind, logs it and does not throw', async () => {
    github.addHook(hook)
    github.failNext({ kind: 'bad-credentials' })
    const registry = new Registry()
    const { lines, logger } = collectingLogger()
    const recovery = startAutoRedelivery({ config, registry, logger, timers: noTimers })
    await recovery.runOnce()
    const errors = await metric(registry, 'webhook_router_redelivery_scan_errors_total')
    expect(errors).toContain(
      'webhook_router_redelivery_scan_errors_total{kind="bad-credentials"} 1',
    )
    expect(errors).toContain('webhook_router_redelivery_scan_errors_total{kind="rate-limited"} 0')
    expect(lines.at(-1)).toMatch(
      /^error redelivery scan failed; retrying at the next interval .*bad-credentials/,
    )
    await recovery.runOnce()
    expect(await metric(registry, 'webhook_router_redeliveries_total')).toContain(
      'webhook_router_redeliveries_total 0',
    )
    await recovery.stop()
  })

  it('gives up on a webhook the router keeps rejecting after three redeliveries', async () => {
    const receiver = await startReceiver(400)
    github.addHook({ ...hook, url: receiver.url })
    await github.sendWebhook(hook, { event: 'workflow_job', payload: { action: 'queued' } })
    const registry = new Registry()
    const { lines, logger } = collectingLogger()
    const recovery = startAutoRedelivery({ config, registry, logger, timers: noTimers })
    for (let scan = 0; scan < 5; scan += 1) await recovery.runOnce()
    expect(github.attempts).toHaveLength(3)
    expect(receiver.hits()).toBe(4)
    expect(
      lines.filter((line) => line.includes('not redelivering a webhook that keeps failing')),
    ).toHaveLength(2)
    await recovery.stop()
    await receiver.close()
  })
})

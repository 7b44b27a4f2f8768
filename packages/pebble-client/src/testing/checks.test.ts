import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CheckInfo, PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient
let web: Server
let webStatus = 200
let port = 0

beforeEach(async () => {
  double = await startPebbleDouble({ okayDelayMs: 100 })
  client = double.client()
  webStatus = 200
  web = createServer((_request, response) => response.writeHead(webStatus).end())
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
  port = (web.address() as AddressInfo).port
})
afterEach(async () => {
  await double.close()
  await new Promise((resolve) => web.close(resolve))
})

async function checkOf(name: string): Promise<CheckInfo | undefined> {
  return (await client.getChecks({ names: [name] }))[0]
}

const fast = { override: 'replace' as const, period: '80ms', threshold: 2 }

describe('checks (§7) and health (§2)', () => {
  it('§3.1 adding a layer starts an enabled check at once, up with a perform-check change in Doing', async () => {
    await client.addLayer('base', {
      checks: {
        web: { ...fast, period: '10s', level: 'ready', http: { url: `http://127.0.0.1:${port}/` } },
      },
    })
    const info = await checkOf('web')
    expect(info).toMatchObject({
      name: 'web',
      level: 'ready',
      startup: 'enabled',
      status: 'up',
      successes: 0,
      threshold: 2,
    })
    expect(info?.failures).toBeUndefined()
    const change = await client.getChange(info?.['change-id'] ?? '')
    expect(change).toMatchObject({
      kind: 'perform-check',
      summary: 'Perform HTTP check "web"',
      status: 'Doing',
    })
  })

  it('§7 an http check goes down after threshold failures, health turns 502, and it recovers', async () => {
    await client.addLayer('base', {
      checks: { web: { ...fast, level: 'alive', http: { url: `http://127.0.0.1:${port}/` } } },
    })
    await expect.poll(async () => (await checkOf('web'))?.successes ?? 0).toBeGreaterThan(0)
    expect(await client.health()).toBe(true)
    const performId = (await checkOf('web'))?.['change-id'] ?? ''
    webStatus = 500
    await expect.poll(async () => (await checkOf('web'))?.status, { timeout: 3000 }).toBe('down')
    const down = await checkOf('web')
    expect(down?.failures).toBeGreaterThanOrEqual(2)
    const failed = await client.getChange(performId)
    expect(failed.status).toBe('Error')
    expect(failed.tasks?.[0]?.log).toContainEqual(
      expect.stringMatching(/ ERROR non-2xx status code 500$/),
    )
    expect(await client.getChange(down?.['change-id'] ?? '')).toMatchObject({
      kind: 'recover-check',
      summary: 'Recover HTTP check "web"',
    })
    const raw = await client.rawRequest({
      method: 'GET',
      path: '/v1/health?level=alive',
      headers: {},
    })
    expect(raw.statusCode).toBe(502)
    expect(JSON.parse(raw.body.toString())).toEqual({
      type: 'sync',
      'status-code': 502,
      status: 'Bad Gateway',
      result: { healthy: false },
    })
    expect(await client.health({ level: 'alive' })).toBe(false)
    webStatus = 204
    await expect.poll(async () => (await checkOf('web'))?.status, { timeout: 3000 }).toBe('up')
    expect(await client.health()).toBe(true)
  })

  it('§7 a tcp check is down while nothing listens', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    await client.addLayer('base', {
      checks: {
        open: { ...fast, period: '300ms', tcp: { port, host: '127.0.0.1' } },
        shut: { ...fast, tcp: { port: closedPort, host: '127.0.0.1' } },
      },
    })
    await expect.poll(async () => (await checkOf('shut'))?.status).toBe('down')
    await expect.poll(async () => (await checkOf('open'))?.successes ?? 0).toBeGreaterThan(0)
    expect((await checkOf('open'))?.status).toBe('up')
  })

  it('§7 an exec check follows the exit code of its command', async () => {
    const flag = join(double.root, 'healthy')
    await writeFile(flag, '')
    await client.addLayer('base', {
      checks: { flag: { ...fast, exec: { command: `test -f ${flag}` } } },
    })
    await expect.poll(async () => (await checkOf('flag'))?.successes ?? 0).toBeGreaterThan(0)
    await rm(flag)
    await expect.poll(async () => (await checkOf('flag'))?.status).toBe('down')
    expect((await client.getChange((await checkOf('flag'))?.['change-id'] ?? '')).summary).toBe(
      'Recover exec check "flag"',
    )
  })

  it('§2 health levels: ready implies alive, alive ignores ready checks, unlevelled checks count only without a level', async () => {
    const bad = { ...fast, threshold: 1, tcp: { port: 1, host: '127.0.0.1' } }
    await client.addLayer('base', { checks: { 'ready-bad': { ...bad, level: 'ready' } } })
    await expect.poll(async () => (await checkOf('ready-bad'))?.status).toBe('down')
    const recovering = await client.getChange((await checkOf('ready-bad'))?.['change-id'] ?? '')
    const performing = await client.getChange(String(Number(recovering.id) - 1))
    expect(performing.tasks?.[0]?.log?.[0]).toMatch(
      / ERROR dial tcp 127\.0\.0\.1:1: connect: connection refused$/,
    )
    expect(await client.health({ level: 'alive' })).toBe(true)
    expect(await client.health({ level: 'ready' })).toBe(false)
    expect(await client.health()).toBe(false)
    expect(await client.health({ names: ['other'] })).toBe(true)
    await expect(
      client.request('GET', '/v1/health', { query: { level: 'dead' } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'level must be "alive" or "ready"',
    })
  })

  it('§2 no checks means healthy', async () => {
    expect(await client.health({ level: 'ready' })).toBe(true)
  })

  it('§7 startup: disabled checks are inactive with no change until started; stop makes them inactive again', async () => {
    await client.addLayer('base', {
      checks: { lazy: { ...fast, startup: 'disabled', tcp: { port, host: '127.0.0.1' } } },
    })
    expect(await checkOf('lazy')).toMatchObject({ status: 'inactive', startup: 'disabled' })
    expect((await checkOf('lazy'))?.['change-id']).toBeUndefined()
    expect(await client.startChecks(['lazy'])).toEqual(['lazy'])
    expect(await checkOf('lazy')).toMatchObject({ status: 'up', 'change-id': expect.any(String) })
    expect(await client.startChecks(['lazy'])).toEqual([])
    expect(await client.stopChecks(['lazy'])).toEqual(['lazy'])
    expect((await checkOf('lazy'))?.status).toBe('inactive')
  })

  it('§7 check actions reject an empty list and unknown checks with 400', async () => {
    await expect(client.startChecks([])).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify checks for start action',
    })
    await expect(client.stopChecks(['ghost'])).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot stop checks: cannot find checks in plan: ghost',
    })
  })

  it('§7 getChecks filters level by exact match and sorts by name', async () => {
    await client.addLayer('base', {
      checks: {
        b: { ...fast, level: 'alive', tcp: { port } },
        a: { ...fast, level: 'ready', tcp: { port } },
        c: { ...fast, tcp: { port } },
      },
    })
    expect((await client.getChecks()).map((check) => check.name)).toEqual(['a', 'b', 'c'])
    expect((await client.getChecks({ level: 'ready' })).map((check) => check.name)).toEqual(['a'])
  })

  it('§7 on-check-failure: restart restarts the service when its check goes down', async () => {
    const flag = join(double.root, 'ok')
    await writeFile(flag, '')
    await client.addLayer('base', {
      services: {
        svc: {
          override: 'replace',
          command: 'sleep 1000',
          'on-check-failure': { probe: 'restart' },
          'backoff-delay': '50ms',
        },
      },
      checks: { probe: { ...fast, exec: { command: `test -f ${flag}` } } },
    })
    await client.startAndWait(['svc'])
    const before = (await client.getServices(['svc']))[0]?.['current-since']
    await rm(flag)
    await expect
      .poll(async () => (await client.getServices(['svc']))[0]?.['current-since'], {
        timeout: 3000,
      })
      .not.toBe(before)
  })

  it('§7 refresh runs a check at once and counts it; an unknown check is 404', async () => {
    await client.addLayer('base', {
      checks: { slow: { ...fast, period: '1h', tcp: { port, host: '127.0.0.1' } } },
    })
    const refreshed = await client.refreshCheck('slow')
    expect(refreshed.error).toBeUndefined()
    expect(refreshed.info).toMatchObject({ name: 'slow', status: 'up', successes: 1 })
    await expect(client.refreshCheck('ghost')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('§7 refresh of a failing check reports the error of that run', async () => {
    await client.addLayer('base', {
      checks: { bad: { ...fast, period: '1h', threshold: 1, tcp: { port: 1, host: '127.0.0.1' } } },
    })
    const refreshed = await client.refreshCheck('bad')
    expect(refreshed.error).toBe('dial tcp 127.0.0.1:1: connect: connection refused')
    expect(refreshed.info).toMatchObject({ status: 'down', failures: 1 })
  })
})

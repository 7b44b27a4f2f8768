/**
 * Conformance, part 3: http, tcp and exec checks, their changes, start/stop/refresh, and
 * `/v1/health` with its 502; the same assertions against real Pebble v1.32.1 and our double.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CheckConfig, Layer, PebbleClient } from '@webhook-router/pebble-client'
import { eventually, PEBBLE_TARGETS, type RunningPebble } from './pebble-targets.js'

/** An HTTP server whose status the test flips; `/` answers it. */
let server: Server
let status = 200
let port: number
/** A port nothing listens on: the server's, once a second server there is closed. */
let closedPort: number

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.statusCode = status
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  const spare = createServer()
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve))
  closedPort = (spare.address() as AddressInfo).port
  await new Promise((resolve) => spare.close(resolve))
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

const checks = (entries: Record<string, Omit<CheckConfig, 'override'>>): Layer => ({
  checks: Object.fromEntries(
    Object.entries(entries).map(([name, config]) => [name, { override: 'replace', ...config }]),
  ),
})
// Long periods keep the checks still while a test drives them with refresh.
const QUIET = { period: '1h', threshold: 1 } as const

describe.each(PEBBLE_TARGETS)('$name: checks and health', (target) => {
  let pebble: RunningPebble
  let client: PebbleClient

  beforeEach(async () => {
    status = 200
    pebble = await target.start()
    client = pebble.client
  })
  afterEach(async () => {
    await pebble.close()
  })

  const checkStatus = async (name: string) => (await client.getChecks({ names: [name] }))[0]

  it('lists checks sorted, up before their first run, each driven by a perform-check change', async () => {
    await client.addLayer(
      'base',
      checks({
        web: { level: 'ready', http: { url: `http://127.0.0.1:${port}/` }, period: '1h' },
        port: { level: 'alive', tcp: { port, host: '127.0.0.1' }, period: '1h' },
        cmd: { exec: { command: 'true' }, period: '1h', startup: 'disabled' },
      }),
    )
    const list = await client.getChecks()
    expect(list.map((check) => check.name)).toEqual(['cmd', 'port', 'web'])
    expect(list[0]).toMatchObject({ name: 'cmd', startup: 'disabled', status: 'inactive' })
    expect(list[0]?.['change-id']).toBeUndefined()
    expect(list[2]).toMatchObject({
      name: 'web',
      level: 'ready',
      startup: 'enabled',
      status: 'up',
      successes: 0,
      threshold: 3,
    })
    expect(list[2]?.failures).toBeUndefined()
    const change = await client.getChange(list[2]?.['change-id'] ?? '')
    expect(change).toMatchObject({
      kind: 'perform-check',
      summary: 'Perform HTTP check "web"',
      status: 'Doing',
      ready: false,
    })
    expect((await client.getChange(list[1]?.['change-id'] ?? '')).summary).toBe(
      'Perform TCP check "port"',
    )
    expect((await client.getChecks({ level: 'alive' })).map((check) => check.name)).toEqual([
      'port',
    ])
  })

  it('refreshes an http check: 2xx passes, another status fails with its code', async () => {
    await client.addLayer(
      'base',
      checks({ web: { period: '1h', threshold: 2, http: { url: `http://127.0.0.1:${port}/` } } }),
    )
    const ok = await client.refreshCheck('web')
    expect(ok.error).toBeUndefined()
    expect(ok.info).toMatchObject({ name: 'web', status: 'up', successes: 1 })
    status = 500
    const failed = await client.refreshCheck('web')
    expect(failed.error).toBe('non-2xx status code 500')
    expect(failed.info).toMatchObject({ status: 'up', failures: 1 })
    status = 200
    const recovered = await client.refreshCheck('web')
    expect(recovered.info).toMatchObject({ status: 'up', successes: 2 })
    expect(recovered.info.failures).toBeUndefined()
    const change = await client.getChange(recovered.info['change-id'] ?? '')
    expect(change.tasks?.[0]?.log).toEqual([
      expect.stringMatching(/ ERROR non-2xx status code 500$/),
      expect.stringMatching(/ INFO succeeded after 1 failure$/),
    ])
  })

  it('goes down when a refresh reaches the threshold', async () => {
    await client.addLayer(
      'base',
      checks({ web: { ...QUIET, http: { url: `http://127.0.0.1:${port}/` } } }),
    )
    status = 500
    expect((await client.refreshCheck('web')).error).toBe('non-2xx status code 500')
    // Pebble records the threshold crossing after it answers the refresh.
    await eventually(
      async () => ((await checkStatus('web'))?.status === 'down' ? true : undefined),
      'the check to go down',
    )
  })

  it("refreshes a tcp check: a closed port fails with Go's dial error", async () => {
    await client.addLayer(
      'base',
      checks({ port: { ...QUIET, tcp: { port: closedPort, host: '127.0.0.1' } } }),
    )
    const failed = await client.refreshCheck('port')
    expect(failed.error).toBe(`dial tcp 127.0.0.1:${closedPort}: connect: connection refused`)
  })

  it('refreshes an exec check: exit 0 passes, non-zero fails with its status and output', async () => {
    await client.addLayer(
      'base',
      checks({
        good: { ...QUIET, exec: { command: 'true' } },
        bad: { ...QUIET, exec: { command: `sh -c 'echo broken; exit 3'` } },
      }),
    )
    expect((await client.refreshCheck('good')).error).toBeUndefined()
    const failed = await client.refreshCheck('bad')
    expect(failed.error).toMatch(/^exit status 3/)
    expect(failed.error).toContain('broken')
  })

  it("fails an exec check killed by a signal, and one past its timeout, in Pebble's words", async () => {
    await client.addLayer(
      'base',
      checks({
        killed: { ...QUIET, exec: { command: `sh -c 'kill -9 $$'` } },
        slow: { period: '1h', timeout: '300ms', threshold: 1, exec: { command: 'sleep 10' } },
      }),
    )
    expect((await client.refreshCheck('killed')).error).toBe('exit status 137')
    expect((await client.refreshCheck('slow')).error).toBe('check timed out after 300ms')
  })

  it('answers refresh of an unknown check 404', async () => {
    await expect(client.refreshCheck('ghost')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('goes down after threshold failures on its period, then recovers with a recover-check', async () => {
    await client.addLayer(
      'base',
      checks({
        web: { period: '200ms', threshold: 2, http: { url: `http://127.0.0.1:${port}/` } },
      }),
    )
    status = 503
    const down = await eventually(async () => {
      const check = await checkStatus('web')
      return check?.status === 'down' ? check : undefined
    }, 'the check to go down')
    expect(down.failures).toBeGreaterThanOrEqual(2)
    const recovering = await client.getChange(down['change-id'] ?? '')
    expect(recovering).toMatchObject({ kind: 'recover-check', summary: 'Recover HTTP check "web"' })
    const failedChange = await client.getChange(down['prev-change-id'] ?? '')
    expect(failedChange).toMatchObject({ kind: 'perform-check', status: 'Error', ready: true })
    expect(failedChange.tasks?.[0]?.log?.at(-1)).toMatch(/ ERROR non-2xx status code 503$/)
    status = 200
    const up = await eventually(async () => {
      const check = await checkStatus('web')
      return check?.status === 'up' ? check : undefined
    }, 'the check to recover')
    expect((await client.getChange(up['change-id'] ?? '')).kind).toBe('perform-check')
    expect((await client.getChange(recovering.id)).status).toBe('Done')
  })

  it('answers /v1/health 502 with a sync envelope while a selected check is down', async () => {
    await client.addLayer(
      'base',
      checks({
        live: { ...QUIET, level: 'alive', tcp: { port: closedPort, host: '127.0.0.1' } },
        ready: { ...QUIET, level: 'ready', http: { url: `http://127.0.0.1:${port}/` } },
        plain: { ...QUIET, exec: { command: 'true' } },
      }),
    )
    expect(await client.health()).toBe(true)
    await client.refreshCheck('live')
    expect(await client.health()).toBe(false)
    expect(await client.health({ level: 'alive' })).toBe(false)
    // ready implies alive: the alive check counts for level=ready too.
    expect(await client.health({ level: 'ready' })).toBe(false)
    expect(await client.health({ names: ['ready', 'plain'] })).toBe(true)
    const raw = await client.rawRequest({ method: 'GET', path: '/v1/health', headers: {} })
    expect(raw.statusCode).toBe(502)
    expect(JSON.parse(raw.body.toString('utf8'))).toEqual({
      type: 'sync',
      'status-code': 502,
      status: 'Bad Gateway',
      result: { healthy: false },
    })
  })

  it('answers /v1/checks 400 for a level other than alive or ready', async () => {
    await expect(
      client.request('GET', '/v1/checks', { query: { level: 'sick' } }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'level must be "alive" or "ready"' })
  })

  it('answers /v1/health 400 for a level other than alive or ready', async () => {
    await expect(
      client.request('GET', '/v1/health', { query: { level: 'sick' } }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'level must be "alive" or "ready"' })
  })

  it('stops and starts checks, answering what changed; stopped checks are inactive', async () => {
    await client.addLayer(
      'base',
      checks({
        a: { ...QUIET, exec: { command: 'true' } },
        b: { ...QUIET, exec: { command: 'true' } },
      }),
    )
    expect(await client.stopChecks(['b', 'a'])).toEqual(['a', 'b'])
    expect(await client.stopChecks(['a'])).toEqual([])
    expect((await checkStatus('a'))?.status).toBe('inactive')
    expect(await client.health()).toBe(true)
    expect(await client.startChecks(['a'])).toEqual(['a'])
    expect((await checkStatus('a'))?.status).toBe('up')
  })

  it('answers check actions 400 for no names and for unknown checks', async () => {
    await client.addLayer('base', checks({ a: { ...QUIET, exec: { command: 'true' } } }))
    await expect(client.startChecks([])).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify checks for start action',
    })
    await expect(client.stopChecks(['a', 'ghost'])).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot stop checks: cannot find checks in plan: ghost',
    })
  })

  it('restarts a stopped enabled check on replan, leaving a disabled one inactive', async () => {
    await client.addLayer(
      'base',
      checks({
        stopped: { ...QUIET, exec: { command: 'true' } },
        later: { ...QUIET, startup: 'disabled', exec: { command: 'true' } },
      }),
    )
    await client.stopChecks(['stopped'])
    await client.replanAndWait()
    expect((await checkStatus('stopped'))?.status).toBe('up')
    expect((await checkStatus('later'))?.status).toBe('inactive')
  })
})

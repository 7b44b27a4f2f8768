// A real `node` HTTP server run as a Pebble service by the double, driven through the client as a
// charm would: its ready check goes up and down with the server, and a restart picks up a new
// environment (contract §5, §7, §2).
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChangeError, PebbleClient, type Layer } from '@webhook-router/pebble-client'
import { startPebbleDouble, type PebbleDouble } from '@webhook-router/pebble-client/testing'

let double: PebbleDouble
let client: PebbleClient
let port: number

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

// Answers GET / with $GREETING; answers 503 on /health once /fail was hit.
const SERVER = [
  "const http = require('node:http')",
  'let failing = false',
  'http.createServer((req, res) => {',
  "  if (req.url === '/fail') { failing = true; return res.end('ok') }",
  "  if (req.url === '/health') { res.statusCode = failing ? 503 : 200; return res.end() }",
  '  res.end(process.env.GREETING)',
  "}).listen(Number(process.env.PORT), '127.0.0.1')",
  "process.on('SIGTERM', () => process.exit(0))",
].join('; ')

function layer(greeting: string): Layer {
  return {
    summary: 'web workload',
    services: {
      web: {
        override: 'replace',
        command: `${process.execPath} -e "${SERVER}"`,
        startup: 'enabled',
        environment: { PORT: String(port), GREETING: greeting },
        'kill-delay': '500ms',
      },
    },
    checks: {
      'web-ready': {
        override: 'replace',
        level: 'ready',
        period: '200ms',
        threshold: 2,
        http: { url: `http://127.0.0.1:${port}/health` },
      },
    },
  }
}

async function get(path: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return response.text()
}

beforeEach(async () => {
  port = await freePort()
  double = await startPebbleDouble({ okayDelayMs: 300 })
  client = new PebbleClient({ socketPath: double.socketPath })
})
afterEach(async () => {
  await double.close()
})

describe('a node HTTP server as a Pebble service', () => {
  it('starts on replan, reports ready, goes unhealthy and back, and restarts with a new environment', async () => {
    await client.addLayer('web', layer('hello'), { combine: true })
    await client.replanAndWait()
    expect((await client.getServices(['web']))[0]?.current).toBe('active')
    await expect.poll(() => get('/').catch(() => ''), { timeout: 5000 }).toBe('hello')
    await expect
      .poll(async () => (await client.getChecks({ names: ['web-ready'] }))[0]?.successes ?? 0, {
        timeout: 5000,
      })
      .toBeGreaterThan(0)
    expect(await client.health({ level: 'ready' })).toBe(true)

    await get('/fail')
    await expect.poll(() => client.health({ level: 'ready' }), { timeout: 5000 }).toBe(false)
    expect((await client.getChecks({ names: ['web-ready'] }))[0]).toMatchObject({ status: 'down' })
    // alive-level health ignores a ready check (§2).
    expect(await client.health({ level: 'alive' })).toBe(true)

    await client.addLayer('web', layer('bonjour'), { combine: true })
    const replan = await client.replanAndWait()
    expect(replan.tasks?.map((task) => task.summary)).toEqual([
      'Stop service "web"',
      'Start service "web"',
    ])
    await expect.poll(() => get('/').catch(() => ''), { timeout: 5000 }).toBe('bonjour')
    // The restarted server is healthy again, and the check recovers (§7).
    await expect.poll(() => client.health({ level: 'ready' }), { timeout: 5000 }).toBe(true)

    await client.stopAndWait(['web'])
    await expect(get('/')).rejects.toThrow()
    await expect.poll(() => client.health({ level: 'ready' }), { timeout: 5000 }).toBe(false)
  })

  it("a server that cannot bind exits quickly and fails the replan with Pebble's err (§5.3)", async () => {
    // Pebble's own 1 s okay delay, so a slow node start-up cannot pass for a healthy start.
    await double.close()
    double = await startPebbleDouble()
    client = double.client()
    const blocker = createHttpServer((_request, response) => response.end())
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      await client.addLayer('web', layer('hello'))
      const error = await client.replanAndWait().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(ChangeError)
      expect((error as ChangeError).err).toBe(
        'cannot perform the following tasks:\n- Start service "web" (service start attempt: exited quickly with code 1, will restart)',
      )
      expect((error as ChangeError).message).toContain('EADDRINUSE')
      expect((await client.getServices(['web']))[0]?.current).toBe('backoff')
    } finally {
      blocker.closeAllConnections()
      await new Promise((resolve) => blocker.close(resolve))
    }
  })
})

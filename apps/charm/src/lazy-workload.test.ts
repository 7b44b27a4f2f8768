import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WorkloadClient } from '@webhook-router/charm-machine/juju'
import { startPebbleDouble } from '@webhook-router/pebble-client/testing'
import { describe, expect, it } from 'vitest'
import { PebbleClient } from '@webhook-router/pebble-client'
import { lazyPebbleWorkload, pebbleGet, probePebble } from './lazy-workload.js'

const socketIn = (name: string): string =>
  join(mkdtempSync(join(tmpdir(), 'lazy-workload-')), `${name}.socket`)

/** An HTTP server on a unix socket that answers every request with `handle`. */
async function serveOn(socketPath: string, handle: Parameters<typeof createServer>[1]) {
  const server: Server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return server
}

describe('probePebble', () => {
  it('is true when a Pebble answers system-info', async () => {
    const pebble = await startPebbleDouble({ socketPath: socketIn('pebble') })
    try {
      expect(await probePebble(pebble.socketPath)).toBe(true)
    } finally {
      await pebble.close()
    }
  })

  it('is false when nothing listens on the socket', async () => {
    expect(await probePebble(socketIn('missing'))).toBe(false)
  })

  it('is false when the socket answers with an error status', async () => {
    const socketPath = socketIn('broken')
    const server = await serveOn(socketPath, (_request, response) => {
      response.writeHead(500).end('{"type":"error"}')
    })
    try {
      expect(await probePebble(socketPath)).toBe(false)
    } finally {
      server.close()
    }
  })

  it.each([
    ['a 200 status line split across writes', ['HTTP/1.1 2', '00 OK\r\n\r\n'], true],
    ['something that is not HTTP', ['SSH-2.0-OpenSSH\r\n'], false],
    ['a connection closed without an answer', [], false],
  ])('reads %s', async (_case, writes, reachable) => {
    const socketPath = socketIn('raw')
    const server = createNetServer((socket) => {
      socket.once('data', async () => {
        for (const write of writes) {
          socket.write(write)
          await new Promise((resolve) => setImmediate(resolve))
        }
        socket.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
    try {
      expect(await probePebble(socketPath)).toBe(reachable)
    } finally {
      server.close()
    }
  })

  it('is false when the socket never answers within the timeout', async () => {
    const socketPath = socketIn('silent')
    const server = await serveOn(socketPath, () => undefined)
    try {
      expect(await probePebble(socketPath, 50)).toBe(false)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('pebbleGet', () => {
  it("reads the double's services and checks as the Pebble client does", async () => {
    const pebble = await startPebbleDouble({ socketPath: socketIn('pebble') })
    try {
      const client = new PebbleClient({ socketPath: pebble.socketPath })
      await client.addLayer('base', {
        services: { idle: { override: 'replace', command: 'sleep 1000', startup: 'enabled' } },
        checks: {
          nothing: { override: 'replace', period: '1h', threshold: 1, tcp: { port: 1 } },
        },
      })
      const workload = lazyPebbleWorkload(pebble.socketPath, () =>
        Promise.reject(new Error('must not load the client')),
      )
      expect(await workload.getServices(['idle'])).toEqual([
        { name: 'idle', startup: 'enabled', current: 'inactive' },
      ])
      await client.refreshCheck('nothing')
      expect(await workload.getChecks?.()).toEqual([
        { name: 'nothing', status: 'down', failures: 1, threshold: 1 },
      ])
      expect(await pebbleGet(pebble.socketPath, '/v1/services')).toEqual(
        await client.getServices().then((services) => services.map((service) => ({ ...service }))),
      )
    } finally {
      await pebble.close()
    }
  })

  it('decodes a chunked answer', async () => {
    const socketPath = socketIn('chunked')
    const server = await serveOn(socketPath, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"type":"sync","result":[{"name":"a",')
      response.end('"status":"up","failures":0,"threshold":3}]}')
    })
    try {
      expect(await pebbleGet(socketPath, '/v1/checks')).toEqual([
        { name: 'a', status: 'up', failures: 0, threshold: 3 },
      ])
    } finally {
      server.close()
    }
  })

  it("rejects with Pebble's message on an error answer", async () => {
    const socketPath = socketIn('error')
    const server = await serveOn(socketPath, (_request, response) => {
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"type":"error","status-code":400,"result":{"message":"bad names"}}')
    })
    try {
      await expect(pebbleGet(socketPath, '/v1/services?names=x')).rejects.toThrow(
        'pebble: GET /v1/services?names=x: 400 bad names',
      )
    } finally {
      server.close()
    }
  })

  it('rejects when nothing listens, the answer is not HTTP, or nothing comes in time', async () => {
    await expect(pebbleGet(socketIn('missing'), '/v1/checks')).rejects.toThrow(
      /^pebble: GET \/v1\/checks: connect ENOENT/,
    )
    const rawPath = socketIn('raw')
    const raw = createNetServer((socket) => socket.once('data', () => socket.end('SSH-2.0\r\n')))
    await new Promise<void>((resolve) => raw.listen(rawPath, resolve))
    const silentPath = socketIn('silent')
    const silent = await serveOn(silentPath, () => undefined)
    try {
      await expect(pebbleGet(rawPath, '/v1/checks')).rejects.toThrow('no HTTP answer')
      await expect(pebbleGet(silentPath, '/v1/checks', 50)).rejects.toThrow(
        'no answer within 50 ms',
      )
    } finally {
      raw.close()
      silent.closeAllConnections()
      silent.close()
    }
  })
})

describe('lazyPebbleWorkload', () => {
  // Not a thenable: the client comes out of a promise.
  const fakeClient = (calls: string[]): WorkloadClient =>
    new Proxy({} as WorkloadClient, {
      get: (_target, name) =>
        name === 'then'
          ? undefined
          : async (...args: unknown[]) => {
              calls.push(`${String(name)} ${JSON.stringify(args)}`)
              return name === 'exists' ? true : undefined
            },
    })

  it('answers canConnect without loading the client', async () => {
    let loads = 0
    const workload = lazyPebbleWorkload(socketIn('missing'), async () => {
      loads++
      return fakeClient([])
    })
    expect(await workload.canConnect()).toBe(false)
    expect(loads).toBe(0)
  })

  it('loads the client once and forwards every operation with its arguments', async () => {
    const calls: string[] = []
    let loads = 0
    const workload = lazyPebbleWorkload(socketIn('unused'), async () => {
      loads++
      return fakeClient(calls)
    })
    await Promise.all([workload.replan(), workload.stop(['router'])])
    expect(await workload.exists('/etc/x')).toBe(true)
    expect(loads).toBe(1)
    expect(calls).toEqual(['replan []', 'stop [["router"]]', 'exists ["/etc/x"]'])
  })

  it('rejects the operation, not the hook, when the client cannot be loaded', async () => {
    const workload = lazyPebbleWorkload(socketIn('unused'), () =>
      Promise.reject(new Error('chunk missing')),
    )
    await expect(workload.getPlan()).rejects.toThrow('chunk missing')
  })
})

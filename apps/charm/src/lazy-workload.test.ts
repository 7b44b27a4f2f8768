import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WorkloadClient } from '@webhook-router/charm-machine/juju'
import { startPebbleDouble } from '@webhook-router/pebble-client/testing'
import { describe, expect, it } from 'vitest'
import { lazyPebbleWorkload, probePebble } from './lazy-workload.js'

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

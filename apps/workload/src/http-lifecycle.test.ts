import { Agent, createServer, request, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { listen, makeDrainable, type Drain, type DrainTimers } from './http-lifecycle.js'

interface Held {
  server: Server
  drain: Drain
  port: number
  /** Resolves the handler of the request in flight. */
  release: () => void
  /** Resolves when the handler has received a request. */
  arrived: Promise<void>
}

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections()
})

async function holdingServer(): Promise<Held> {
  let release = () => {}
  let arrive = () => {}
  const arrived = new Promise<void>((resolve) => (arrive = resolve))
  const server = createServer((_req, res) => {
    arrive()
    new Promise<void>((resolve) => (release = resolve)).then(() => res.end('done'))
  })
  servers.push(server)
  const drain = makeDrainable(server)
  const port = await listen(server, 0, '127.0.0.1')
  return { server, drain, port, release: () => release(), arrived }
}

function get(
  port: number,
  agent?: Agent,
): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Timers that fire only when the test says so: the drain window and the deadline. */
function manualTimers(): DrainTimers & { fire: (which: 'window' | 'deadline') => void } {
  const pending = new Map<'window' | 'deadline', () => void>()
  let next: 'deadline' | 'window' = 'deadline'
  return {
    // makeDrainable arms the deadline first, then the window.
    setTimeout: (callback) => {
      pending.set(next, callback)
      next = 'window'
    },
    clearTimeout: () => pending.delete('deadline'),
    fire: (which) => {
      const callback = pending.get(which)
      pending.delete(which)
      callback?.()
    },
  }
}

/** Drain options with a window and deadline that pass only when fired. */
function drainWith(timers: DrainTimers) {
  return { windowMs: 1000, timeoutMs: 60_000, timers }
}

describe('listen', () => {
  it('resolves with the port the OS picked for port 0', async () => {
    const { port } = await holdingServer()
    expect(port).toBeGreaterThan(0)
  })

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const { port } = await holdingServer()
    const second = createServer()
    servers.push(second)
    await expect(listen(second, port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})

describe('makeDrainable', () => {
  it('lets a request in flight finish, then resolves drained', async () => {
    const held = await holdingServer()
    const response = get(held.port)
    await held.arrived
    const timers = manualTimers()
    const closing = held.drain(drainWith(timers))
    timers.fire('window')
    held.release()
    await expect(response).resolves.toMatchObject({ status: 200, body: 'done' })
    await expect(closing).resolves.toEqual({ drained: true })
  })

  it('answers a request that was in flight when the drain began with Connection: close', async () => {
    const held = await holdingServer()
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 })
    const response = get(held.port, agent)
    await held.arrived
    const timers = manualTimers()
    const closing = held.drain(drainWith(timers))
    held.release()
    // A pooling client must not keep a connection the server is about to close.
    await expect(response).resolves.toMatchObject({ status: 200, connection: 'close' })
    timers.fire('window')
    await expect(closing).resolves.toEqual({ drained: true })
    agent.destroy()
  })

  it('keeps answering, with Connection: close, during the window, and refuses after it', async () => {
    const held = await holdingServer()
    const timers = manualTimers()
    const closing = held.drain(drainWith(timers))
    const during = get(held.port)
    await held.arrived
    held.release()
    await expect(during).resolves.toMatchObject({ status: 200, connection: 'close' })
    timers.fire('window')
    await expect(get(held.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await expect(closing).resolves.toEqual({ drained: true })
  })

  it('closes idle keep-alive connections when the window ends', async () => {
    const held = await holdingServer()
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 })
    const first = get(held.port, agent)
    await held.arrived
    held.release()
    await first
    const timers = manualTimers()
    const closing = held.drain(drainWith(timers))
    timers.fire('window')
    // Without the reaping, close() would wait for the client's idle socket indefinitely.
    await expect(closing).resolves.toEqual({ drained: true })
    agent.destroy()
  })

  it('cuts connections still open at the deadline and reports not drained', async () => {
    const held = await holdingServer()
    const response = get(held.port)
    await held.arrived
    const timers = manualTimers()
    const closing = held.drain(drainWith(timers))
    timers.fire('window')
    timers.fire('deadline')
    await expect(response).rejects.toThrow()
    await expect(closing).resolves.toEqual({ drained: false })
  })

  it('resolves once the window ends when nothing is in flight', async () => {
    const held = await holdingServer()
    const timers = manualTimers()
    const closing = held.drain(drainWith(timers))
    timers.fire('window')
    await expect(closing).resolves.toEqual({ drained: true })
  })
})

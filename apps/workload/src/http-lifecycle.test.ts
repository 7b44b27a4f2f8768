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

/** Timers whose deadline fires only when the test says so. */
function manualTimers(): DrainTimers & { fireDeadline: () => void } {
  let deadline: (() => void) | undefined
  return {
    setTimeout: (callback) => (deadline = callback),
    clearTimeout: () => (deadline = undefined),
    fireDeadline: () => deadline?.(),
  }
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
    const closing = held.drain(60_000, manualTimers())
    held.release()
    await expect(response).resolves.toMatchObject({ status: 200, body: 'done' })
    await expect(closing).resolves.toEqual({ drained: true })
  })

  it('closes the keep-alive socket of a request in flight as soon as it is answered', async () => {
    const held = await holdingServer()
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 })
    const response = get(held.port, agent)
    await held.arrived
    const closing = held.drain(60_000, manualTimers())
    held.release()
    await response
    // Without the reaping, close() would wait for the client's idle socket indefinitely.
    await expect(closing).resolves.toEqual({ drained: true })
    agent.destroy()
  })

  it('refuses new connections once draining has started', async () => {
    const held = await holdingServer()
    const inFlight = get(held.port)
    await held.arrived
    const closing = held.drain(60_000, manualTimers())
    await expect(get(held.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    held.release()
    await inFlight
    await closing
  })

  it('cuts connections still open at the deadline and reports not drained', async () => {
    const held = await holdingServer()
    const response = get(held.port)
    await held.arrived
    const timers = manualTimers()
    const closing = held.drain(10, timers)
    timers.fireDeadline()
    await expect(response).rejects.toThrow()
    await expect(closing).resolves.toEqual({ drained: false })
  })

  it('resolves at once when nothing is in flight', async () => {
    const held = await holdingServer()
    await expect(held.drain(60_000, manualTimers())).resolves.toEqual({
      drained: true,
    })
  })
})

// The webhook server's HTTP edge under hostile or unusual clients (process tests).
import { spawnSync } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  repoRoot,
  SECRET,
  signedDelivery,
  startServe,
  tempEnv,
  type Served,
} from './workload-harness.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

async function serve(extra: Record<string, string> = {}): Promise<Served> {
  const temp = tempEnv(extra)
  cleanups.push(temp.cleanup)
  const served = await startServe(temp.env)
  cleanups.push(() => served.child.kill('SIGKILL'))
  return served
}

function portOf(served: Served): number {
  return Number(new URL(served.baseUrl).port)
}

/** A raw connection that records what the server sends and when it closes. */
function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  socket.on('error', () => undefined)
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)))
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, closed, connected, received: () => received }
}

describe('webhook-router serve HTTP limits (process)', () => {
  it('answers GET /health over HTTP/1.0 without a Host header', async () => {
    const served = await serve()
    const client = rawClient(portOf(served))
    await client.connected
    client.socket.write('GET /health HTTP/1.0\r\n\r\n')
    expect(await client.closed).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
  })

  it('drops a connection that sends its headers slowly (slowloris) within the headers timeout', async () => {
    const served = await serve({ APP_HTTP_HEADERS_TIMEOUT_MS: '500' })
    const client = rawClient(portOf(served))
    await client.connected
    client.socket.write('POST /webhook HTTP/1.1\r\nHost: x\r\n')
    // One header byte every 100 ms: never complete, never idle.
    const drip = setInterval(() => client.socket.write('x'), 100)
    cleanups.push(() => clearInterval(drip))
    const started = Date.now()
    const answer = await client.closed
    // Generous: Node's default would hold it 60 s or more; this says seconds, not exact timing.
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('drops a request whose body arrives slowly within the request timeout', async () => {
    const served = await serve({
      APP_HTTP_HEADERS_TIMEOUT_MS: '500',
      APP_HTTP_REQUEST_TIMEOUT_MS: '1000',
    })
    const client = rawClient(portOf(served))
    await client.connected
    client.socket.write(
      'POST /webhook HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n' +
        'x-github-event: workflow_job\r\ncontent-length: 100000\r\n\r\n{',
    )
    const drip = setInterval(() => client.socket.write(' '), 100)
    cleanups.push(() => clearInterval(drip))
    const started = Date.now()
    await client.closed
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('closes connections beyond APP_HTTP_MAX_CONNECTIONS and keeps serving the others', async () => {
    const served = await serve({ APP_HTTP_MAX_CONNECTIONS: '2' })
    const port = portOf(served)
    const held = [rawClient(port), rawClient(port)]
    await Promise.all(held.map((client) => client.connected))
    // The server counts a connection once it has accepted it; a request proves both are in.
    for (const client of held) client.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
    await expect.poll(() => held.every((client) => /\r\n\r\n/.test(client.received()))).toBe(true)
    const third = rawClient(port)
    expect(await third.closed).toBe('')
    held[0]?.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
    await expect.poll(() => held[0]?.received().split('HTTP/1.1 200').length).toBe(3)
  })

  it.each([
    ['a declared body over the limit', '/webhook', 'HTTP/1.1 413 Payload Too Large'],
    ['an unknown path', '/nowhere', 'HTTP/1.1 404 Not Found'],
  ])(
    'lets a client that writes a 2 MiB body before reading read its answer to %s, every time',
    async (_, path, expected) => {
      const served = await serve()
      const client = spawnSync(
        'python3',
        [join(repoRoot, 'tests/python/early_answer_client.py'), String(portOf(served)), path, '5'],
        { encoding: 'utf8', timeout: 60_000 },
      )
      expect(client.stderr).toBe('')
      expect(JSON.parse(client.stdout)).toEqual({ [expected]: 5 })
    },
  )

  it('still serves a signed webhook with every limit at its default', async () => {
    const served = await serve()
    const response = await fetch(`${served.baseUrl}/webhook`, {
      method: 'POST',
      ...signedDelivery(['small', 'x64'], 5, SECRET),
    })
    expect(response.status).toBe(200)
  })
})

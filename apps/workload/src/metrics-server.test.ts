import type { Server } from 'node:http'
import { connect } from 'node:net'
import { Counter, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { listen } from './http-lifecycle.js'
import { createMetricsServer } from './metrics-server.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

async function start(
  registry: Registry,
  limits?: Parameters<typeof createMetricsServer>[1],
): Promise<string> {
  const server = createMetricsServer(registry, limits)
  servers.push(server)
  const port = await listen(server, 0, '127.0.0.1')
  return `http://127.0.0.1:${port}`
}

function registryWithCounter(): Registry {
  const registry = new Registry()
  new Counter({ name: 'test_total', help: 'A test counter.', registers: [registry] }).inc(3)
  return registry
}

describe('createMetricsServer', () => {
  it('drops a client whose headers do not arrive within the headers timeout', async () => {
    const url = new URL(
      await start(new Registry(), { headersTimeoutMs: 200, requestTimeoutMs: 1000 }),
    )
    const socket = connect(Number(url.port), '127.0.0.1')
    socket.on('error', () => undefined)
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n')
    let answer = ''
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
    await new Promise((resolve) => socket.on('close', resolve))
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('serves the registry on GET /metrics with its content type', async () => {
    const registry = registryWithCounter()
    const response = await fetch(`${await start(registry)}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(registry.contentType)
    expect(await response.text()).toContain('test_total 3')
  })

  it('ignores a query string', async () => {
    const response = await fetch(`${await start(registryWithCounter())}/metrics?x=1`)
    expect(response.status).toBe(200)
  })

  it('answers 404 with a hint for other paths', async () => {
    const response = await fetch(`${await start(registryWithCounter())}/`)
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('Not found: metrics are served on /metrics\n')
  })

  it('answers 405 to POST', async () => {
    const response = await fetch(`${await start(registryWithCounter())}/metrics`, {
      method: 'POST',
    })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers 500 with the reason when a collector fails', async () => {
    const registry = new Registry()
    new Counter({
      name: 'broken_total',
      help: 'Throws on collect.',
      registers: [registry],
      collect() {
        throw new Error('collector exploded')
      },
    })
    const response = await fetch(`${await start(registry)}/metrics`)
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('Collecting metrics failed: collector exploded\n')
  })
})

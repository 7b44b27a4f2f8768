import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  APIError,
  ConnectionError,
  PebbleClient,
  ProtocolError,
  TimeoutError,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './index.js'

const CHANGE = { id: '5', kind: 'start', summary: 'Start service "a"', status: 'Done', ready: true }

function reply(
  statusCode: number,
  envelope: unknown,
  contentType = 'application/json',
): TransportResponse {
  return {
    statusCode,
    headers: { 'content-type': contentType },
    body: Buffer.from(JSON.stringify(envelope)),
  }
}
const sync = (result: unknown, statusCode = 200) =>
  reply(statusCode, { type: 'sync', 'status-code': statusCode, status: 'OK', result })
const error = (statusCode: number, message: string, kind?: string) =>
  reply(statusCode, {
    type: 'error',
    'status-code': statusCode,
    status: 'Bad Request',
    result: { message, ...(kind ? { kind } : {}) },
  })

/** A transport that answers from a script and records what was asked. */
function scripted(
  ...answers: Array<TransportResponse | ((request: TransportRequest) => TransportResponse)>
) {
  const requests: TransportRequest[] = []
  const transport: Transport = {
    request: async (request) => {
      requests.push(request)
      const next = answers.shift()
      if (!next) throw new Error(`unexpected request ${request.method} ${request.path}`)
      return typeof next === 'function' ? next(request) : next
    },
    openWebSocket: () => Promise.reject(new Error('no websockets here')),
  }
  return { transport, requests }
}

describe('PebbleClient', () => {
  it('needs a socket path or a transport', () => {
    expect(() => new PebbleClient({})).toThrow(TypeError)
  })

  it('sends JSON with Accept and Content-Type, and lists as comma-separated names', async () => {
    const { transport, requests } = scripted(sync([]), sync(true))
    const client = new PebbleClient({ transport })
    await client.getServices(['a', 'b'])
    await client.addLayer(
      'lbl',
      { services: { a: { override: 'replace', command: 'x' } } },
      { combine: true },
    )
    expect(requests[0]).toMatchObject({
      method: 'GET',
      path: '/v1/services?names=a%2Cb',
      headers: { Accept: 'application/json' },
    })
    expect(requests[1]?.headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(String(requests[1]?.body))).toEqual({
      action: 'add',
      combine: true,
      label: 'lbl',
      format: 'yaml',
      layer: 'services:\n  a:\n    override: replace\n    command: x\n',
    })
  })

  it('turns an error envelope into an APIError with status, message, kind and body', async () => {
    const { transport } = scripted(error(400, 'no default services', 'no-default-services'))
    const caught = await new PebbleClient({ transport })
      .autostart()
      .catch((thrown: unknown) => thrown)
    expect(caught).toBeInstanceOf(APIError)
    expect(caught).toMatchObject({
      statusCode: 400,
      status: 'Bad Request',
      message: 'no default services',
      kind: 'no-default-services',
    })
    expect((caught as APIError).body).toMatchObject({ type: 'error' })
  })

  it('reads health 502 as unhealthy rather than an error', async () => {
    const { transport, requests } = scripted(sync({ healthy: false }, 502))
    expect(await new PebbleClient({ transport }).health({ level: 'ready' })).toBe(false)
    expect(requests[0]?.path).toBe('/v1/health?level=ready')
  })

  it('rejects a result that does not match the schema with a ProtocolError', async () => {
    const { transport } = scripted(sync([{ name: 'a' }]))
    await expect(new PebbleClient({ transport }).getServices()).rejects.toBeInstanceOf(
      ProtocolError,
    )
  })

  it('rejects a non-JSON answer with a ProtocolError naming the status', async () => {
    const { transport } = scripted({
      statusCode: 502,
      headers: { 'content-type': 'text/html' },
      body: Buffer.from('<html>'),
    })
    await expect(new PebbleClient({ transport }).systemInfo()).rejects.toThrow(
      /HTTP 502: expected a JSON envelope/,
    )
  })

  it('returns the change id of service actions', async () => {
    const { transport, requests } = scripted(
      reply(202, {
        type: 'async',
        'status-code': 202,
        status: 'Accepted',
        change: '9',
        result: null,
      }),
    )
    expect(await new PebbleClient({ transport }).restart(['a'])).toBe('9')
    expect(JSON.parse(String(requests[0]?.body))).toEqual({ action: 'restart', services: ['a'] })
  })

  it('hook.wrap sees every request and can answer on its own', async () => {
    const { transport } = scripted(sync({ version: '1' }))
    const client = new PebbleClient({ transport })
    const seen: string[] = []
    client.hook.wrap('request', async (next, request) => {
      seen.push(request.path)
      return request.path === '/v1/plan?format=yaml' ? sync('services: {}\n') : next(request)
    })
    await client.systemInfo()
    expect(await client.getPlanYaml()).toBe('services: {}\n')
    expect(seen).toEqual(['/v1/system-info', '/v1/plan?format=yaml'])
  })

  it('waitChange retries 504s and returns the change once ready', async () => {
    const timeout = error(504, 'timed out waiting for change after 4s')
    const { transport, requests } = scripted(timeout, sync(CHANGE))
    const change = await new PebbleClient({ transport }).waitChange('5', { timeout: 30 })
    expect(change.status).toBe('Done')
    expect(requests[0]?.path).toBe('/v1/changes/5/wait?timeout=4.000s')
  })

  it('waitChange throws TimeoutError when the deadline passes', async () => {
    let now = 0
    const timeout = () => {
      now += 2000
      return error(504, 'timed out')
    }
    const { transport } = scripted(timeout, timeout)
    const caught = await new PebbleClient({ transport, now: () => now })
      .waitChange('5', { timeout: 3 })
      .catch((thrown: unknown) => thrown)
    expect(caught).toBeInstanceOf(TimeoutError)
    expect(caught).toMatchObject({ changeId: '5' })
  })

  it('waitChange falls back to polling when the server has no /wait endpoint', async () => {
    const slept: number[] = []
    const { transport, requests } = scripted(
      error(404, 'invalid API endpoint requested'),
      sync({ ...CHANGE, status: 'Doing', ready: false }),
      sync(CHANGE),
    )
    const client = new PebbleClient({ transport, sleep: async (ms) => void slept.push(ms) })
    expect((await client.waitChange('5', { delay: 0.25 })).ready).toBe(true)
    expect(requests.map((request) => request.path)).toEqual([
      '/v1/changes/5/wait?timeout=4.000s',
      '/v1/changes/5',
      '/v1/changes/5',
    ])
    expect(slept).toEqual([250])
  })

  it('startAndWait throws ChangeError with the err and task logs when the change failed', async () => {
    const failed = {
      ...CHANGE,
      status: 'Error',
      err: 'cannot perform the following tasks:\n- Start service "a" (boom)',
      tasks: [
        {
          id: '1',
          kind: 'start',
          summary: 'Start service "a"',
          status: 'Error',
          log: ['2025-01-01T00:00:00Z ERROR boom'],
        },
      ],
    }
    const { transport } = scripted(
      reply(202, { type: 'async', 'status-code': 202, status: 'Accepted', change: '5' }),
      sync(failed),
    )
    const caught = await new PebbleClient({ transport })
      .startAndWait(['a'])
      .catch((thrown: unknown) => thrown)
    expect(caught).toMatchObject({ name: 'ChangeError', err: failed.err, change: { id: '5' } })
    expect((caught as Error).message).toContain(
      'Start service "a": 2025-01-01T00:00:00Z ERROR boom',
    )
  })

  it('canConnect is false for an API error and true for an answer', async () => {
    const { transport } = scripted(error(500, 'broken'), sync({ version: 'v1' }))
    const client = new PebbleClient({ transport })
    expect(await client.canConnect()).toBe(false)
    expect(await client.canConnect()).toBe(true)
  })
})

describe('unix socket transport', () => {
  it("a missing socket is a ConnectionError with ENOENT and ops' wording", async () => {
    const client = new PebbleClient({ socketPath: '/nonexistent/pebble.socket' })
    const caught = await client.systemInfo().catch((thrown: unknown) => thrown)
    expect(caught).toBeInstanceOf(ConnectionError)
    expect(caught).toMatchObject({
      code: 'ENOENT',
      socketPath: '/nonexistent/pebble.socket',
      message:
        "Could not connect to Pebble: socket not found at '/nonexistent/pebble.socket' (container restarted?)",
    })
    expect(await client.canConnect()).toBe(false)
  })

  it('a socket file nobody listens on is a ConnectionError with ECONNREFUSED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pebble-refused-'))
    const path = join(dir, 'pebble.socket')
    // A daemon killed hard leaves its socket file behind with nobody listening.
    const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`
    spawnSync(process.execPath, ['-e', script])
    try {
      await expect(new PebbleClient({ socketPath: path }).systemInfo()).rejects.toMatchObject({
        name: 'ConnectionError',
        code: 'ECONNREFUSED',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a server that hangs up without answering is a ConnectionError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pebble-hangup-'))
    const path = join(dir, 'pebble.socket')
    const server = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => server.listen(path, resolve))
    try {
      await expect(new PebbleClient({ socketPath: path }).systemInfo()).rejects.toBeInstanceOf(
        ConnectionError,
      )
    } finally {
      await new Promise((resolve) => server.close(resolve))
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a regular file in place of the socket is a ConnectionError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pebble-file-'))
    const path = join(dir, 'pebble.socket')
    await writeFile(path, '')
    try {
      await expect(new PebbleClient({ socketPath: path }).systemInfo()).rejects.toBeInstanceOf(
        ConnectionError,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

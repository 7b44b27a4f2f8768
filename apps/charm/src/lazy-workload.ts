import { createConnection } from 'node:net'
import type { WorkloadClient } from '@webhook-router/charm-machine/juju'
import { checkInfoOf, serviceInfoOf } from './pebble-info.js'

/** How long the reachability probe waits for Pebble: the Pebble client's default, 5 s as ops. */
const PROBE_TIMEOUT_MS = 5_000
const REQUEST =
  'GET /v1/system-info HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n' +
  'Connection: close\r\n\r\n'
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) /

/**
 * Whether a Pebble answers `GET /v1/system-info` on `socketPath` with 200, which is what
 * {@link WorkloadClient.canConnect} asks every dispatch. It speaks the one request over
 * `node:net` and reads only the status line, so a hook that only checks reachability loads
 * neither the Pebble client nor `node:http`.
 *
 * @example
 * ```ts
 * await probePebble('/charm/containers/app/pebble.socket') // true once the container is up
 * ```
 */
export function probePebble(socketPath: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = ''
    let settled = false
    const socket = createConnection(socketPath)
    const settle = (reachable: boolean): void => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(reachable)
    }
    socket.setTimeout(timeoutMs, () => settle(false))
    socket.setEncoding('latin1')
    socket.on('connect', () => socket.write(REQUEST))
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (!answer.includes('\r\n') && answer.length < 1024) return
      settle(STATUS_LINE.exec(answer)?.[1] === '200')
    })
    socket.on('error', () => settle(false))
    socket.on('close', () => settle(false))
  })
}

/** Decodes an HTTP/1.1 `Transfer-Encoding: chunked` body. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const end = body.indexOf('\r\n', at)
    if (end === -1) throw new Error('truncated chunked body')
    const size = Number.parseInt(body.subarray(at, end).toString('latin1'), 16)
    if (!Number.isFinite(size)) throw new Error('bad chunk size')
    if (size === 0) return Buffer.concat(parts)
    parts.push(body.subarray(end + 2, end + 2 + size))
    at = end + 2 + size + 2
  }
}

/**
 * The `result` of Pebble's answer to `GET path` on `socketPath`, over one `node:net` request
 * like {@link probePebble}: what `update-status` asks (services and checks) then needs neither
 * the Pebble client nor `node:http`. Rejects with Pebble's message on an error answer, and on a
 * socket that fails, closes early or stays silent for `timeoutMs`.
 */
export function pebbleGet(
  socketPath: string,
  path: string,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let settled = false
    const socket = createConnection(socketPath)
    const fail = (message: string): void => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(new Error(`pebble: GET ${path}: ${message}`))
    }
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`))
    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n` +
          'Connection: close\r\n\r\n',
      ),
    )
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (error) => fail(error.message))
    socket.on('close', () => {
      if (settled) return
      const answer = Buffer.concat(chunks)
      const split = answer.indexOf('\r\n\r\n')
      const head = answer.subarray(0, split === -1 ? answer.length : split).toString('latin1')
      const status = STATUS_LINE.exec(head)?.[1]
      if (split === -1 || status === undefined) return fail('no HTTP answer')
      try {
        let body: Buffer = answer.subarray(split + 4)
        if (/^transfer-encoding:\s*chunked\s*$/im.test(head)) body = dechunk(body)
        const parsed = JSON.parse(body.toString('utf8')) as { result?: unknown }
        if (status !== '200') {
          const message = (parsed.result as { message?: unknown } | undefined)?.message
          return fail(`${status} ${typeof message === 'string' ? message : 'error'}`)
        }
        settled = true
        resolve(parsed.result)
      } catch (error) {
        fail(`unreadable answer: ${(error as Error).message}`)
      }
    })
  })
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

type Operation = Exclude<keyof WorkloadClient, 'canConnect' | 'getServices' | 'getChecks'>
const OPERATIONS: readonly Operation[] = [
  'getPlan',
  'addLayer',
  'replan',
  'start',
  'stop',
  'restart',
  'sendSignal',
  'exec',
  'push',
  'pull',
  'exists',
  'makeDir',
]

/**
 * A {@link WorkloadClient} for the Pebble on `socketPath` that loads the real client (with its
 * websocket and YAML code, most of the charm's JavaScript) on the first operation other than
 * `canConnect` ({@link probePebble}), `getServices` and `getChecks` ({@link pebbleGet}). A
 * settled hook never loads it, `update-status` reading the workload's health included.
 *
 * @param load builds the real client; called at most once.
 * @example
 * ```ts
 * const workload = lazyPebbleWorkload(socket, async () => {
 *   const [{ PebbleClient }, { pebbleWorkload }] = await Promise.all([
 *     import('@webhook-router/pebble-client'),
 *     import('./pebble-workload.js'),
 *   ])
 *   return pebbleWorkload(new PebbleClient({ socketPath: socket }))
 * })
 * ```
 */
export function lazyPebbleWorkload(
  socketPath: string,
  load: () => Promise<WorkloadClient>,
): WorkloadClient {
  let loaded: Promise<WorkloadClient> | undefined
  const real = (): Promise<WorkloadClient> => (loaded ??= load())
  const client: Partial<Record<keyof WorkloadClient, unknown>> = {
    canConnect: () => probePebble(socketPath),
    getServices: async (names?: string[]) =>
      list(
        await pebbleGet(
          socketPath,
          names === undefined
            ? '/v1/services'
            : `/v1/services?names=${encodeURIComponent(names.join(','))}`,
        ),
      ).map(serviceInfoOf),
    getChecks: async () => list(await pebbleGet(socketPath, '/v1/checks')).map(checkInfoOf),
  }
  for (const operation of OPERATIONS) {
    client[operation] = async (...args: unknown[]) => {
      const workload = await real()
      return (workload[operation] as (...forwarded: unknown[]) => Promise<unknown>)(...args)
    }
  }
  return client as WorkloadClient
}

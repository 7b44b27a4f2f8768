import { createConnection } from 'node:net'
import type { WorkloadClient } from '@webhook-router/charm-machine/juju'

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

type Operation = Exclude<keyof WorkloadClient, 'canConnect'>
const OPERATIONS: readonly Operation[] = [
  'getPlan',
  'addLayer',
  'replan',
  'getServices',
  'getChecks',
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
 * `canConnect`, which {@link probePebble} answers. A settled hook never loads it.
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
  }
  for (const operation of OPERATIONS) {
    client[operation] = async (...args: unknown[]) => {
      const workload = await real()
      return (workload[operation] as (...forwarded: unknown[]) => Promise<unknown>)(...args)
    }
  }
  return client as WorkloadClient
}

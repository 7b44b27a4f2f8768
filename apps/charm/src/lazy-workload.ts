import { request, type RequestOptions } from 'node:http'
import type { WorkloadClient } from '@webhook-router/charm-machine/juju'

/** How long the reachability probe waits for Pebble: the Pebble client's default, 5 s as ops. */
const PROBE_TIMEOUT_MS = 5_000

/**
 * Whether a Pebble answers `GET /v1/system-info` on `socketPath` with 200, which is what
 * {@link WorkloadClient.canConnect} asks every dispatch. It needs nothing but `node:http`, so a
 * hook that only checks reachability does not load the Pebble client.
 *
 * @example
 * ```ts
 * await probePebble('/charm/containers/app/pebble.socket') // true once the container is up
 * ```
 */
export function probePebble(socketPath: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const options: RequestOptions & { servername: string } = {
    socketPath,
    path: '/v1/system-info',
    headers: { Accept: 'application/json', Host: 'localhost' },
    // The http agent passes this on; naming the server spares Node from matching the host
    // against its IPv6 regex, whose first compilation alone costs milliseconds.
    servername: 'pebble',
    timeout: timeoutMs,
  }
  return new Promise((resolve) => {
    const outgoing = request(options, (response) => {
      response.resume()
      response.on('error', () => resolve(false))
      response.on('end', () => resolve(response.statusCode === 200))
    })
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')))
    outgoing.on('error', () => resolve(false))
    outgoing.end()
  })
}

type Operation = Exclude<keyof WorkloadClient, 'canConnect'>
const OPERATIONS: readonly Operation[] = [
  'getPlan',
  'addLayer',
  'replan',
  'getServices',
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

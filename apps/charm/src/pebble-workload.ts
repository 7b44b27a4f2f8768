import type { PebbleLayer, WorkloadClient } from '@webhook-router/charm-machine/juju'
import type { Layer } from '@webhook-router/pebble-client'
import type { PebbleClient } from '@webhook-router/pebble-client'
import { ExecError, PathError } from '@webhook-router/pebble-client'
import { checkInfoOf, serviceInfoOf } from './pebble-info.js'

/** Options of {@link pebbleWorkload}. */
export interface PebbleWorkloadOptions {
  /** Seconds to wait for a replan, start, stop or restart (default 60). */
  readonly changeTimeout?: number
  /** Seconds an exec'd command may run before Pebble kills it (default 600). */
  readonly execTimeout?: number
}

/**
 * charm-machine's `WorkloadClient` over a real Pebble socket, e.g.
 * `/charm/containers/app/pebble.socket`. Service operations wait for their change, so a
 * service that does not stay up rejects with Pebble's `ChangeError`; a command that exits
 * non-zero resolves with its exit code, as the machine's effects expect.
 *
 * @example
 * ```ts
 * const workload = pebbleWorkload(new PebbleClient({ socketPath: '/charm/containers/app/pebble.socket' }))
 * await workload.replan()
 * ```
 */
export function pebbleWorkload(
  client: PebbleClient,
  options: PebbleWorkloadOptions = {},
): WorkloadClient {
  const wait = { timeout: options.changeTimeout ?? 60 }
  const execTimeout = options.execTimeout ?? 600
  return {
    async canConnect() {
      try {
        await client.systemInfo()
        return true
      } catch {
        return false
      }
    },
    async getPlan() {
      return (await client.getPlan()) as PebbleLayer
    },
    async addLayer(label, layer, addOptions = {}) {
      await client.addLayer(label, layer as Layer, { combine: addOptions.combine ?? false })
    },
    async replan() {
      await client.replanAndWait(wait)
    },
    async getServices(names) {
      return (await client.getServices(names)).map(serviceInfoOf)
    },
    async getChecks() {
      return (await client.getChecks()).map(checkInfoOf)
    },
    async start(names) {
      await client.startAndWait(names, wait)
    },
    async stop(names) {
      await client.stopAndWait(names, wait)
    },
    async restart(names) {
      await client.restartAndWait(names, wait)
    },
    async sendSignal(signal, services) {
      await client.sendSignal(signal, services)
    },
    async exec(command, execOptions = {}) {
      try {
        const result = await client.exec(command, {
          timeout: execTimeout,
          ...(execOptions.environment !== undefined && { environment: execOptions.environment }),
          ...(execOptions.workingDir !== undefined && { workingDir: execOptions.workingDir }),
          ...(execOptions.user !== undefined && { user: execOptions.user }),
          ...(execOptions.group !== undefined && { group: execOptions.group }),
          ...(execOptions.stdin !== undefined && { stdin: execOptions.stdin }),
        })
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }
      } catch (error) {
        if (error instanceof ExecError) {
          return { exitCode: error.exitCode, stdout: error.stdout, stderr: error.stderr }
        }
        throw error
      }
    },
    async push(path, data, pushOptions = {}) {
      await client.push(path, data, {
        ...(pushOptions.makeDirs !== undefined && { makeDirs: pushOptions.makeDirs }),
        ...(pushOptions.user !== undefined && { user: pushOptions.user }),
        ...(pushOptions.group !== undefined && { group: pushOptions.group }),
        ...(pushOptions.permissions !== undefined && {
          permissions: pushOptions.permissions.toString(8).padStart(3, '0'),
        }),
      })
    },
    pull: (path) => client.pull(path),
    async exists(path) {
      try {
        await client.list(path, { itself: true })
        return true
      } catch (error) {
        if (error instanceof PathError || (error as { kind?: string }).kind === 'not-found')
          return false
        throw error
      }
    },
    async makeDir(path, dirOptions = {}) {
      await client.makeDir(path, {
        ...(dirOptions.makeParents !== undefined && { makeParents: dirOptions.makeParents }),
        ...(dirOptions.user !== undefined && { user: dirOptions.user }),
        ...(dirOptions.group !== undefined && { group: dirOptions.group }),
      })
    },
  }
}

import type { DispatchContext, HookTools, ToolRunner } from '@webhook-router/charm-machine/juju'
import {
  hookToolError,
  isSecretUnavailable,
  whenRelationGone,
} from '@webhook-router/charm-machine/juju'
import type { ActionContext, CharmModel, DatabagOwner } from './model.js'
import { SecretAccessError } from './model.js'

/** Returns the unit's bind address on a binding (`network-get`), if Juju knows one. */
export type NetworkGet = (binding: string, relationRef?: string) => Promise<string | undefined>

/**
 * A {@link NetworkGet} over a hook-tool runner: `network-get --format=json [-r ref] binding`,
 * taking the first bind address as ops' `Binding.network.bind_address` does. A relation that
 * is gone has no address; any other failure rejects with the typed hook-tool error, so a lost
 * controller connection fails the hook instead of publishing data without the address.
 */
export function networkGetOver(run: ToolRunner): NetworkGet {
  return async (binding, relationRef) => {
    const argv = [
      'network-get',
      '--format=json',
      ...(relationRef ? ['-r', relationRef] : []),
      binding,
    ]
    const output = await run(argv)
    if (output.code !== 0)
      return whenRelationGone(undefined)(
        hookToolError('network-get', output.code, output.stderr, output.stdout),
      )
    const network = JSON.parse(output.stdout) as {
      'bind-addresses'?: { addresses?: { value?: unknown }[] }[]
    }
    const value = network['bind-addresses']?.[0]?.addresses?.[0]?.value
    return typeof value === 'string' && value !== '' ? value : undefined
  }
}

/**
 * A {@link CharmModel} over charm-machine's hook tools. Reads that cannot change within one hook
 * (leadership, config, relation ids, remote app names) are cached for the dispatch.
 */
export function createJujuModel(
  tools: HookTools,
  context: DispatchContext,
  networkGet?: NetworkGet,
): CharmModel {
  const cache = new Map<string, Promise<unknown>>()
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let value = cache.get(key) as Promise<T> | undefined
    if (value === undefined) {
      value = load()
      cache.set(key, value)
    }
    return value
  }
  const ref = (endpoint: string, id: number): string => `${endpoint}:${id}`
  const broken = (endpoint: string, id: number): boolean =>
    context.name.endsWith('-relation-broken') && context.relation?.ref === ref(endpoint, id)

  const model: CharmModel = {
    appName: context.appName,
    unitName: context.unitName,
    modelName: context.modelName,
    modelUuid: context.modelUuid,
    isLeader: () => once('leader', () => tools.isLeader()),
    config: () => once('config', () => tools.configGet()),
    relationIds: (endpoint) =>
      once(`ids:${endpoint}`, async () =>
        (await tools.relationIds(endpoint))
          .map((item) => Number(item.slice(item.lastIndexOf(':') + 1)))
          // As in ops, a relation being broken in this hook is already gone.
          .filter((id) => !broken(endpoint, id)),
      ),
    remoteApp: (endpoint, id) =>
      once(`remote:${endpoint}:${id}`, async () => {
        if (context.relation?.ref === ref(endpoint, id) && context.relation.remoteApp) {
          return context.relation.remoteApp
        }
        return tools.relationRemoteApp(ref(endpoint, id)).catch(whenRelationGone(undefined))
      }),
    async readBag(endpoint, id, bag: DatabagOwner) {
      if (bag === 'local-unit') return tools.relationGet(ref(endpoint, id), context.unitName)
      if (bag === 'local-app') {
        return tools.relationGet(ref(endpoint, id), context.appName, { app: true })
      }
      const remote = await model.remoteApp(endpoint, id)
      if (remote === undefined) return {}
      // Only a relation that is gone reads as empty: a bag that could not be read is not empty.
      return tools.relationGet(ref(endpoint, id), remote, { app: true }).catch(whenRelationGone({}))
    },
    async readRemoteUnitBags(endpoint, id) {
      const units = await tools.relationList(ref(endpoint, id)).catch(whenRelationGone([]))
      return Promise.all(
        [...units]
          .sort()
          .map((unit) => tools.relationGet(ref(endpoint, id), unit).catch(whenRelationGone({}))),
      )
    },
    async writeBag(endpoint, id, bag, changes) {
      if (Object.keys(changes).length === 0) return
      await tools.relationSet(ref(endpoint, id), changes, { app: bag === 'app' })
    },
    async secretGet(id, options = {}) {
      try {
        return await tools.secretGet({
          id,
          ...(options.label !== undefined && { label: options.label }),
          ...(options.refresh === true && { refresh: true }),
        })
      } catch (error) {
        // Not granted (yet) or gone; a transient failure stays a hook-tool error.
        if (isSecretUnavailable(error)) throw new SecretAccessError(id, (error as Error).message)
        throw error
      }
    },
    // Without the injected network-get the ingress `ip` is left out and the provider uses the
    // unit's host name.
    bindAddress: (binding, id) =>
      networkGet === undefined
        ? Promise.resolve(undefined)
        : once(`bind:${binding}:${id}`, () =>
            networkGet(binding, id === undefined ? undefined : ref(binding, id)),
          ),
    async openPort(port) {
      await tools.openPort(`${port}/tcp`)
    },
    async log(level, message) {
      await tools.jujuLog(level, message).catch(() => undefined)
    },
  }
  return model
}

/** The action half over the hook tools (`action-set`, `action-fail`, `action-log`). */
export function createJujuAction(
  tools: HookTools,
  name: string,
  params: Record<string, unknown>,
): ActionContext {
  return {
    name,
    params,
    setResults: (results) => tools.actionSet(results),
    fail: (message) => tools.actionFail(message),
    log: (message) => tools.actionLog(message),
  }
}

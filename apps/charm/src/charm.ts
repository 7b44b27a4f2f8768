import { join } from 'node:path'
import {
  EFFECT_NAMES,
  FileStore,
  type CharmEffects,
  type CharmStore,
} from '@webhook-router/charm-machine'
import type {
  CharmDefinition,
  CharmRuntime,
  HookTools,
  RelationData,
  WorkloadClient,
} from '@webhook-router/charm-machine/juju'
import { isSecretUnavailable } from '@webhook-router/charm-machine/juju'
import { INGRESS_ENDPOINT } from './ingress.js'
import { SENSITIVE_OPTIONS } from './sensitive-config.js'
import { WORKLOAD_CONTAINER } from './integrations.js'
import { createJujuModel, type NetworkGet } from './juju-model.js'
import { lazyPebbleWorkload } from './lazy-workload.js'
import type { CharmModel } from './model.js'
import { MONGODB_ENDPOINT, mongodbConnection, mongodbUserSecretUri } from './mongodb.js'
import { forgetPublishedAppData, publishRelationData } from './publish.js'
import {
  DEFAULT_PUBLISH_MODE,
  publishesKombu,
  publishesStream,
  publishModeOf,
  type PublishMode,
} from './publish-mode.js'
import { RABBITMQ_ENDPOINT, RABBITMQ_VHOST, rabbitmqConnection } from './rabbitmq.js'
import { SECRET_KEY_FIELD, SECRET_STORAGE_ENDPOINT } from './secret-storage.js'

/** Options of {@link createRouterCharm}; the defaults are what Juju provides. */
export interface RouterCharmOptions {
  /** Where the workload containers' Pebble sockets are (default `/charm/containers`). */
  readonly containersDir?: string
  /** Randomness for the secret key (default `crypto.randomBytes`). */
  readonly random?: (size: number) => Buffer
  /**
   * The store `show-history` reads (default: the runtime's file store in the charm directory).
   * The runtime does not hand its store to effects, so tests and embedders pass one here.
   */
  readonly historyStore?: (charmDir: string) => CharmStore
  /** `network-get`, which charm-machine's hook tools lack; the ingress `ip` needs it. */
  readonly networkGet?: NetworkGet
}

/**
 * The github-runner-webhook-router charm as a charm-machine definition: its container, its
 * integrations (mongodb and rabbitmq as the publish mode needs them, the secret-storage peer,
 * ingress optional), the Pebble
 * client, the relation data it publishes before every event, and its effects and actions.
 *
 * @example
 * ```ts
 * import { runHook } from '@webhook-router/charm-machine/juju'
 * process.exitCode = (await runHook(createRouterCharm())).exitCode
 * ```
 */
export function createRouterCharm(options: RouterCharmOptions = {}): CharmDefinition {
  const containersDir = options.containersDir ?? '/charm/containers'
  const historyStore =
    options.historyStore ??
    ((charmDir: string) => new FileStore({ directory: join(charmDir, '.charm-machine') }))
  const models = new WeakMap<CharmRuntime, CharmModel>()
  const modelOf = (runtime: CharmRuntime): CharmModel => {
    let model = models.get(runtime)
    if (model === undefined) {
      model = createJujuModel(runtime.tools, runtime.context, options.networkGet)
      models.set(runtime, model)
    }
    return model
  }

  return {
    containers: [WORKLOAD_CONTAINER],
    sensitiveOptions: SENSITIVE_OPTIONS,
    integrations: {
      [MONGODB_ENDPOINT]: {
        kind: 'database',
        required: (config) => publishesKombu(modeForGates(config)),
        isReady: (relation, runtime) => databaseReady(relation, runtime),
      },
      [RABBITMQ_ENDPOINT]: {
        kind: 'other',
        required: (config) => publishesStream(modeForGates(config)),
        isReady: (relation, runtime) => brokerReady(relation, runtime),
      },
      [SECRET_STORAGE_ENDPOINT]: {
        kind: 'secret-storage',
        required: true,
        secretKeys: [SECRET_KEY_FIELD],
      },
      [INGRESS_ENDPOINT]: { kind: 'ingress', required: false },
    },
    connectWorkload: (container) => {
      const socketPath = join(containersDir, container, 'pebble.socket')
      return lazyPebbleWorkload(socketPath, () => loadPebbleWorkload(socketPath))
    },
    async beforeDispatch(runtime) {
      // Start the reads every dispatch makes at once; the runtime's facts reader then finds
      // them in the tool cache instead of waiting for the tools one after another. Publishing
      // starts alongside, so its network-get follows the ingress relation-ids at once.
      const prefetch = startCommonReads(runtime.tools)
      // update-status runs every five minutes: only the ingress address is re-published then.
      const scope = runtime.context.name === 'update-status' ? 'ingress' : 'all'
      if (runtime.context.name === 'leader-elected') forgetPublishedAppData(runtime.memo)
      await Promise.all([prefetch, publishRelationData(modelOf(runtime), scope, runtime.memo)])
    },
    effects(runtime) {
      // Only the effects the machine actually runs load their code (see charm-effects.ts).
      let loaded: Promise<Partial<CharmEffects>> | undefined
      const real = (): Promise<Partial<CharmEffects>> =>
        (loaded ??= import('./charm-effects.js').then(({ routerCharmEffects }) =>
          routerCharmEffects(runtime, modelOf(runtime), { ...options, historyStore }),
        ))
      const lazy: Partial<Record<keyof CharmEffects, unknown>> = {}
      for (const name of EFFECT_NAMES) {
        lazy[name] = async (input: unknown, context: unknown) => {
          const effect = (await real())[name] as
            ((input: unknown, context: unknown) => Promise<unknown>) | undefined
          if (effect === undefined) throw new Error(`effect not provided: ${name}`)
          return effect(input, context)
        }
      }
      return lazy as Partial<CharmEffects>
    },
  }
}

/**
 * Starts the hook-tool reads every dispatch makes (leadership, config, relation ids of each
 * endpoint) at once. Over a caching runner, the runtime and the charm then find them answered.
 * Never rejects: a read that fails is asked again, and fails, where it is needed.
 */
export function startCommonReads(tools: HookTools): Promise<void> {
  return Promise.all([
    tools.isLeader(),
    tools.configGet(),
    ...[MONGODB_ENDPOINT, RABBITMQ_ENDPOINT, SECRET_STORAGE_ENDPOINT, INGRESS_ENDPOINT].map(
      (endpoint) => tools.relationIds(endpoint),
    ),
  ]).then(
    () => undefined,
    () => undefined,
  )
}

/** The Pebble client and its adapter, loaded when a hook first does more than probe Pebble. */
async function loadPebbleWorkload(socketPath: string): Promise<WorkloadClient> {
  const [{ PebbleClient }, { pebbleWorkload }] = await Promise.all([
    import('@webhook-router/pebble-client'),
    import('./pebble-workload.js'),
  ])
  return pebbleWorkload(new PebbleClient({ socketPath }))
}

/** The database is ready when the provider's data yields a usable connect string. */
async function databaseReady(relation: RelationData, runtime: CharmRuntime): Promise<boolean> {
  const secretUri = mongodbUserSecretUri(relation.app)
  let secret: Record<string, string> | undefined
  if (secretUri !== undefined) {
    try {
      secret = await runtime.tools.secretGet({ id: secretUri, refresh: true })
    } catch (error) {
      // Not granted yet, or gone: the provider has not finished. Anything else fails the hook.
      if (isSecretUnavailable(error)) return false
      throw error
    }
  }
  return mongodbConnection(relation.app, secret, runtime.context.appName).ok
}

/**
 * The publish mode the integration gates follow. A bad `publish-mode` gates as the default
 * (MongoDB required, as before the option existed); config validation then blocks on it.
 */
function modeForGates(config: Readonly<Record<string, unknown>>): PublishMode {
  return publishModeOf(config) ?? DEFAULT_PUBLISH_MODE
}

/** The broker is ready when the provider's app or unit data holds a hostname and password. */
function brokerReady(relation: RelationData, runtime: CharmRuntime): boolean {
  const units = Object.keys(relation.units)
    .sort()
    .map((unit) => relation.units[unit])
  return rabbitmqConnection(relation.app, units, runtime.context.appName, RABBITMQ_VHOST).ok
}

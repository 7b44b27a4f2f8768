import { HookToolError } from '@webhook-router/charm-machine/juju'
import { parseCharmConfig } from './config.js'
import { publishesKombu, publishesStream } from './publish-mode.js'
import { readBroker, readDatabase, readIngress, readSecretStorage } from './integrations.js'
import { SECRET_STORAGE_ENDPOINT, secretKeyToCreate } from './secret-storage.js'
import type { CharmModel } from './model.js'
import { SecretAccessError } from './model.js'
import { redactMongodbUri } from './mongodb.js'
import { redactRabbitmqUri } from './rabbitmq.js'
import type { WorkloadPebble } from './workload.js'
import { applyLayer, describeFailure, pebbleReachable, stopService } from './workload.js'
import {
  APP_PORT,
  WORKLOAD_COMMAND,
  githubAuthProblem,
  workloadEnvironment,
  workloadLayer,
  type WorkloadInputs,
} from './workload-layer.js'

/** The Juju proxy settings of the hook environment (`JUJU_CHARM_*_PROXY`). */
export interface ProxySettings {
  readonly http?: string
  readonly https?: string
  readonly noProxy?: string
}

/** What the router's effects run against in one dispatch. */
export interface EffectDeps {
  readonly model: CharmModel
  readonly pebble: WorkloadPebble
  readonly proxy?: ProxySettings
  readonly random?: (size: number) => Buffer
}

/**
 * Resolves everything the workload environment needs, or throws with the reason it cannot be
 * built yet. Reads the redelivery credentials secret when automatic redelivery is on.
 */
export async function resolveWorkloadInputs(deps: EffectDeps): Promise<WorkloadInputs> {
  const { model } = deps
  const parsed = parseCharmConfig(await model.config())
  if (!parsed.ok) throw new Error(parsed.message)
  const mode = parsed.config.publishMode
  let mongodbUri: string | undefined
  if (publishesKombu(mode)) {
    const database = await readDatabase(model)
    if (database.status !== 'ready') throw new Error('missing integrations: mongodb')
    mongodbUri = database.uri
  }
  let rabbitmqUri: string | undefined
  if (publishesStream(mode)) {
    const broker = await readBroker(model)
    if (broker.status !== 'ready') throw new Error('missing integrations: rabbitmq')
    rabbitmqUri = broker.uri
  }
  // Read now, not from the facts: this dispatch may have just created or rotated the key.
  const secretStorage = await readSecretStorage(model)
  if (secretStorage.status !== 'ready') throw new Error('Waiting for peer integration')
  const ingress = await readIngress(model)
  const config = parsed.config
  let redeliveryAuth: Record<string, string> | undefined
  if (config.redelivery !== undefined) {
    redeliveryAuth = await readRedeliveryAuth(model, config.redelivery.authSecretId)
  }
  const baseUrl =
    ingress.status === 'ready'
      ? ingress.url
      : `http://${model.appName}.${model.modelName}:${APP_PORT}`
  return {
    config,
    ...(mongodbUri !== undefined && { mongodbUri }),
    ...(rabbitmqUri !== undefined && { rabbitmqUri }),
    secretKey: secretStorage.key,
    baseUrl,
    ...(redeliveryAuth !== undefined && { redeliveryAuth }),
    ...(deps.proxy !== undefined && { proxy: deps.proxy }),
  }
}

/** Reads and checks the `redelivery-github-auth` secret, with a message a human can act on. */
export async function readRedeliveryAuth(
  model: CharmModel,
  secretId: string,
): Promise<Record<string, string>> {
  let content: Record<string, string>
  try {
    content = await model.secretGet(secretId, { refresh: true })
  } catch (error) {
    if (!(error instanceof SecretAccessError)) throw error
    throw new Error(
      `cannot read redelivery-github-auth secret (${error.reason}); ` +
        `run: juju grant-secret ${secretId} ${model.appName}`,
      { cause: error },
    )
  }
  const problem = githubAuthProblem(content)
  if (problem !== undefined) throw new Error(`redelivery-github-auth secret ${problem}`)
  return content
}

/**
 * The router's implementations of the lifecycle machine's effects. Each throws with a
 * one-line reason on failure; the machine records it and shows it in the blocked status.
 */
export function createRouterEffects(deps: EffectDeps) {
  const { model, pebble } = deps
  return {
    async validateConfig(): Promise<{ errors: string[] }> {
      const parsed = parseCharmConfig(await model.config())
      if (!parsed.ok) return { errors: [parsed.message] }
      if (parsed.config.redelivery !== undefined) {
        try {
          await readRedeliveryAuth(model, parsed.config.redelivery.authSecretId)
        } catch (error) {
          // A hook tool that failed says nothing about the config: the hook fails instead.
          if (error instanceof HookToolError) throw error
          return { errors: [`invalid config: ${(error as Error).message}`] }
        }
      }
      return { errors: [] }
    },

    async runMigrations(): Promise<{ database?: string; broker?: string }> {
      const inputs = await resolveWorkloadInputs(deps)
      const environment = workloadEnvironment(inputs)
      let failure: string | undefined
      try {
        const result = await pebble.exec([WORKLOAD_COMMAND, 'migrate'], { environment })
        if (result.exitCode !== 0) failure = describeFailure(result)
      } catch (error) {
        failure = describeFailure(error)
      }
      if (failure !== undefined) {
        const reason = redactRabbitmqUri(redactMongodbUri(failure))
        await model.log('ERROR', `${WORKLOAD_COMMAND} migrate failed: ${reason}`)
        throw new Error(`${WORKLOAD_COMMAND} migrate failed (${reason})`)
      }
      return {
        ...(inputs.mongodbUri !== undefined && { database: redactMongodbUri(inputs.mongodbUri) }),
        ...(inputs.rabbitmqUri !== undefined && { broker: redactRabbitmqUri(inputs.rabbitmqUri) }),
      }
    },

    async restartWorkload(): Promise<{ layerChanged: boolean; replanned: boolean }> {
      const inputs = await resolveWorkloadInputs(deps)
      const outcome = await applyLayer(pebble, workloadLayer(workloadEnvironment(inputs)))
      await model.openPort(APP_PORT)
      return { ...outcome }
    },

    async stopWorkload(): Promise<{ stopped: boolean }> {
      if (!(await pebbleReachable(pebble))) return { stopped: false }
      return { stopped: await stopService(pebble) }
    },

    async initSecretStorage(input: { relationId: number }): Promise<{ ready: boolean }> {
      if (!(await model.isLeader())) return { ready: false }
      const bag = await model.readBag(SECRET_STORAGE_ENDPOINT, input.relationId, 'local-app')
      const changes = secretKeyToCreate(bag, deps.random)
      if (changes !== undefined)
        await model.writeBag(SECRET_STORAGE_ENDPOINT, input.relationId, 'app', changes)
      return { ready: true }
    },
  }
}

/** The effects object {@link createRouterEffects} returns. */
export type RouterEffects = ReturnType<typeof createRouterEffects>

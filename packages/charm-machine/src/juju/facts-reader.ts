import type { CharmFacts, ContainerFact, IntegrationFact } from '../index.js'
import type { CharmDefinition, CharmRuntime, IntegrationSpec, RelationData } from './definition.js'
import { isSecretUnavailable, whenRelationGone } from './errors.js'
import { redactSensitiveConfig } from './sensitive-config.js'

const REMOTE_APP_MEMO = 'remote-app.'
const remoteAppMemoKey = (ref: string): string => `${REMOTE_APP_MEMO}${ref}`

const isBrokenRelation = (runtime: CharmRuntime, ref: string): boolean =>
  runtime.context.name.endsWith('-relation-broken') && runtime.context.relation?.ref === ref

/**
 * Reads the data of one relation; the remote app bag, or the own app bag for a peer relation.
 * Only a relation that is gone reads as empty; any other hook-tool failure rejects, so the hook
 * fails and Juju retries it instead of the unit acting on data it did not read.
 */
export async function readRelation(
  runtime: CharmRuntime,
  ref: string,
  spec: IntegrationSpec,
): Promise<RelationData> {
  const { context, tools } = runtime
  const peer = spec.kind === 'secret-storage'
  let remoteApp = context.relation?.ref === ref ? context.relation.remoteApp : undefined
  if (peer) remoteApp = context.appName
  // A relation id is never reused, so its remote app, once known, is known for good.
  const memoKey = remoteAppMemoKey(ref)
  remoteApp ??= runtime.memo[memoKey]
  if (remoteApp === undefined)
    remoteApp = await tools.relationRemoteApp(ref).catch(whenRelationGone(undefined))
  if (remoteApp !== undefined && !peer) runtime.memo[memoKey] = remoteApp
  // Independent reads start together: each is a hook-tool process, and waiting on them one by
  // one is most of a quiet hook's time.
  const readUnits = async (): Promise<Record<string, Record<string, string>>> => {
    if (spec.kind !== 'other') return {}
    const names = await tools.relationList(ref).catch(whenRelationGone([] as string[]))
    const bags = await Promise.all(
      names.map((unit) => tools.relationGet(ref, unit).catch(whenRelationGone({}))),
    )
    return Object.fromEntries(names.map((unit, index) => [unit, bags[index] ?? {}]))
  }
  const [app, units, localUnit] = await Promise.all([
    remoteApp === undefined
      ? {}
      : tools.relationGet(ref, remoteApp, { app: true }).catch(whenRelationGone({})),
    readUnits(),
    spec.kind === 'database'
      ? tools.relationGet(ref, context.unitName).catch(whenRelationGone({}))
      : ({} as Record<string, string>),
  ])
  return { ref, remoteApp, app, units, localUnit }
}

/** The ingress URL a provider published, if valid (`{"url": "http://..."}` JSON in `ingress`). */
export function ingressUrlOf(app: Record<string, string>): string | undefined {
  try {
    const url = (JSON.parse(app['ingress'] ?? 'null') as { url?: unknown } | null)?.url
    if (typeof url !== 'string') return undefined
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? parsed.toString()
      : undefined
  } catch {
    return undefined
  }
}

async function defaultReady(
  runtime: CharmRuntime,
  relation: RelationData,
  spec: IntegrationSpec,
): Promise<boolean> {
  const { app } = relation
  switch (spec.kind) {
    case 'database': {
      if (
        app['uris'] !== undefined ||
        (app['username'] !== undefined && app['password'] !== undefined)
      )
        return true
      const secretUser = app['secret-user']
      if (secretUser === undefined) return false
      // Ready only if the credentials can actually be read (a grant may still be missing).
      const content = await runtime.tools
        .secretGet({ id: secretUser, refresh: true })
        .catch((error: unknown) => {
          if (isSecretUnavailable(error)) return null
          throw error
        })
      return (
        content !== null &&
        (content['uris'] !== undefined ||
          (content['username'] !== undefined && content['password'] !== undefined))
      )
    }
    case 'ingress':
      return ingressUrlOf(app) !== undefined
    case 'secret-storage':
      return (spec.secretKeys ?? []).every((key) => (app[key] ?? '') !== '')
    case 'other':
      return (
        Object.keys(app).length > 0 ||
        Object.values(relation.units).some((bag) => Object.keys(bag).length > 0)
      )
  }
}

/**
 * Hooks that read the workload's health: the periodic `update-status` (every five minutes by
 * default) and Pebble's check hooks. Other hooks re-evaluate or leave a healthy unit alone
 * without it, and a settled hook then never loads the Pebble client.
 */
const HEALTH_HOOK = /^(update-status|.+-pebble-check-(failed|recovered))$/

/**
 * A reachable container's health: services of the plan with `startup: enabled` that are
 * `inactive` or `error` (a `backoff` one is being restarted by Pebble itself), and checks that
 * are `down`. A Pebble that stops answering mid-read leaves the health unknown, not a failure:
 * the reachability probe is what gates on Pebble.
 */
async function readHealth(runtime: CharmRuntime, container: string): Promise<ContainerFact> {
  const workload = runtime.workload(container)
  try {
    const [services, checks] = await Promise.all([
      workload.getServices(),
      workload.getChecks?.() ?? [],
    ])
    const stopped: NonNullable<ContainerFact['stopped']> = {}
    for (const service of services)
      if (
        service.startup === 'enabled' &&
        service.current !== 'active' &&
        service.current !== 'backoff'
      )
        stopped[service.name] = service.current
    const failingChecks: NonNullable<ContainerFact['failingChecks']> = {}
    for (const check of checks)
      if (check.status === 'down') failingChecks[check.name] = check.failures
    return {
      reachable: true,
      ...(Object.keys(stopped).length > 0 && { stopped }),
      ...(Object.keys(failingChecks).length > 0 && { failingChecks }),
    }
  } catch (error) {
    await runtime.log(
      'WARNING',
      `charm-machine: ${container}: health not read: ${(error as Error).message}`,
    )
    return { reachable: true }
  }
}

/** What {@link readFacts} found: the facts, plus the relations read on the way. */
export interface ObservedModel {
  facts: CharmFacts
  relations: Record<string, RelationData | null>
}

/**
 * Reads the facts of this dispatch from the model: leadership, config, Pebble reachability of
 * each container and the readiness of each declared integration. A relation being broken in
 * this hook counts as absent, as in ops.
 */
export async function readFacts(
  definition: CharmDefinition,
  runtime: CharmRuntime,
): Promise<ObservedModel> {
  const { tools } = runtime
  const current = new Set<string>()
  const readIntegration = async ([endpoint, spec]: [string, IntegrationSpec]) => {
    const refs = (await tools.relationIds(endpoint)).filter(
      (ref) => !isBrokenRelation(runtime, ref),
    )
    for (const each of refs) current.add(remoteAppMemoKey(each))
    const ref = refs[0]
    if (ref === undefined) {
      const fact: Omit<IntegrationFact, 'required'> = { kind: spec.kind, status: 'absent' }
      return { endpoint, spec, relation: null, fact }
    }
    const relation = await readRelation(runtime, ref, spec)
    const ready = await (
      spec.isReady ?? ((data: RelationData) => defaultReady(runtime, data, spec))
    )(relation, runtime)
    const fact: Omit<IntegrationFact, 'required'> = {
      kind: spec.kind,
      status: ready ? 'ready' : 'pending',
    }
    return { endpoint, spec, relation, fact }
  }
  // Every read below is independent of the others, so they all start at once.
  const health = HEALTH_HOOK.test(runtime.context.name)
  const readContainer = async (name: string): Promise<ContainerFact> => {
    const reachable = await runtime
      .workload(name)
      .canConnect()
      .catch(() => false)
    return reachable && health ? readHealth(runtime, name) : { reachable }
  }
  const [leader, rawConfig, containerFacts, read] = await Promise.all([
    tools.isLeader(),
    tools.configGet(),
    Promise.all(definition.containers.map(readContainer)),
    Promise.all(Object.entries(definition.integrations).map(readIntegration)),
  ])
  const config = redactSensitiveConfig(rawConfig, definition.sensitiveOptions ?? [])
  const containers: CharmFacts['containers'] = Object.fromEntries(
    definition.containers.map((name, index) => [
      name,
      containerFacts[index] ?? { reachable: false },
    ]),
  )
  const integrations: Record<string, IntegrationFact> = {}
  const relations: Record<string, RelationData | null> = {}
  for (const { endpoint, spec, relation, fact } of read) {
    relations[endpoint] = relation
    const required = typeof spec.required === 'function' ? spec.required(rawConfig) : spec.required
    integrations[endpoint] = { kind: fact.kind, required, status: fact.status }
  }
  for (const key of Object.keys(runtime.memo)) {
    if (key.startsWith(REMOTE_APP_MEMO) && !current.has(key)) delete runtime.memo[key]
  }
  return { facts: { leader, containers, config, integrations }, relations }
}

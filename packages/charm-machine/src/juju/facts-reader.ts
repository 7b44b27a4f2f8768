import type { CharmFacts, IntegrationFact } from '../index.js'
import type { CharmDefinition, CharmRuntime, IntegrationSpec, RelationData } from './definition.js'
import { redactSensitiveConfig } from './sensitive-config.js'

const REMOTE_APP_MEMO = 'remote-app.'
const remoteAppMemoKey = (ref: string): string => `${REMOTE_APP_MEMO}${ref}`

const isBrokenRelation = (runtime: CharmRuntime, ref: string): boolean =>
  runtime.context.name.endsWith('-relation-broken') && runtime.context.relation?.ref === ref

/** Reads the data of one relation; the remote app bag, or the own app bag for a peer relation. */
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
  if (remoteApp === undefined) remoteApp = await tools.relationRemoteApp(ref).catch(() => undefined)
  if (remoteApp !== undefined && !peer) runtime.memo[memoKey] = remoteApp
  const app =
    remoteApp === undefined
      ? {}
      : await tools.relationGet(ref, remoteApp, { app: true }).catch(() => ({}))
  const units: Record<string, Record<string, string>> = {}
  if (spec.kind === 'other') {
    for (const unit of await tools.relationList(ref).catch(() => [] as string[])) {
      units[unit] = await tools.relationGet(ref, unit).catch(() => ({}))
    }
  }
  const localUnit =
    spec.kind === 'database' ? await tools.relationGet(ref, context.unitName).catch(() => ({})) : {}
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
        .catch(() => null)
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
  const leader = await tools.isLeader()
  const config = redactSensitiveConfig(await tools.configGet(), definition.sensitiveOptions ?? [])
  const containers: CharmFacts['containers'] = {}
  for (const name of definition.containers) {
    const reachable = await runtime
      .workload(name)
      .canConnect()
      .catch(() => false)
    containers[name] = { reachable }
  }
  const integrations: Record<string, IntegrationFact> = {}
  const relations: Record<string, RelationData | null> = {}
  const current = new Set<string>()
  for (const [endpoint, spec] of Object.entries(definition.integrations)) {
    const refs = (await tools.relationIds(endpoint)).filter(
      (ref) => !isBrokenRelation(runtime, ref),
    )
    const ref = refs[0]
    for (const each of refs) current.add(remoteAppMemoKey(each))
    if (ref === undefined) {
      relations[endpoint] = null
      integrations[endpoint] = { kind: spec.kind, required: spec.required, status: 'absent' }
      continue
    }
    const relation = await readRelation(runtime, ref, spec)
    relations[endpoint] = relation
    const ready = await (
      spec.isReady ?? ((data: RelationData) => defaultReady(runtime, data, spec))
    )(relation, runtime)
    integrations[endpoint] = {
      kind: spec.kind,
      required: spec.required,
      status: ready ? 'ready' : 'pending',
    }
  }
  for (const key of Object.keys(runtime.memo)) {
    if (key.startsWith(REMOTE_APP_MEMO) && !current.has(key)) delete runtime.memo[key]
  }
  return { facts: { leader, containers, config, integrations }, relations }
}

import type { CharmFacts, JujuEvent } from '../index.js'
import { PLAIN_HOOK_EVENTS } from '../index.js'
import type { CharmDefinition, CharmRuntime } from './definition.js'
import { isSecretUnavailable } from './errors.js'
import type { ObservedModel } from './facts-reader.js'
import { ingressUrlOf } from './facts-reader.js'

type EventBody = { type: JujuEvent['type'] } & Record<string, unknown>

const REQUESTED_SECRETS = ['username', 'password', 'tls', 'tls-ca', 'uris']

/**
 * The data_interfaces requirer's side of `-relation-changed`: diff the provider's app bag
 * against the snapshot kept under `data` in our unit bag, store the new snapshot, and name the
 * derived event (`database-created` beats `endpoints-changed`, as in the Python lib).
 */
async function databaseChanged(
  runtime: CharmRuntime,
  observed: ObservedModel,
  endpoint: string,
): Promise<EventBody['type']> {
  const relation = observed.relations[endpoint]
  if (relation === null || relation === undefined) return 'juju.relation-changed'
  const current = Object.fromEntries(Object.entries(relation.app).filter(([key]) => key !== 'data'))
  let previous: Record<string, string> = {}
  try {
    previous = JSON.parse(relation.localUnit['data'] ?? '{}') as Record<string, string>
  } catch {
    previous = {}
  }
  const added = Object.keys(current).filter((key) => !(key in previous))
  const changed = Object.keys(current).filter(
    (key) => key in previous && previous[key] !== current[key],
  )
  await runtime.tools.relationSet(relation.ref, { data: JSON.stringify(current) })
  const secretUser = current['secret-user']
  if (added.includes('secret-user') && secretUser !== undefined) {
    // Attach the consumer label the Python lib uses, so both can find the secret.
    const id = relation.ref.slice(relation.ref.lastIndexOf(':') + 1)
    await runtime.tools
      .secretGet({ id: secretUser, label: `${endpoint}.${id}.user.secret` })
      .catch((error: unknown) => {
        // Not granted yet: the label is attached on a later read. Anything else fails the hook.
        if (!isSecretUnavailable(error)) throw error
      })
  }
  if (added.includes('secret-user') || (added.includes('username') && added.includes('password'))) {
    return 'juju.database-created'
  }
  if (added.includes('endpoints') || changed.includes('endpoints'))
    return 'juju.database-endpoints-changed'
  return 'juju.relation-changed'
}

/** The database requirer's request, written by the leader when the relation is created. */
async function requestDatabase(
  definition: CharmDefinition,
  runtime: CharmRuntime,
  facts: CharmFacts,
  endpoint: string,
): Promise<void> {
  const relation = runtime.context.relation
  if (!facts.leader || relation === undefined) return
  const spec = definition.integrations[endpoint]
  await runtime.tools.relationSet(
    relation.ref,
    {
      database: spec?.databaseName ?? runtime.context.appName,
      'requested-secrets': JSON.stringify(REQUESTED_SECRETS),
    },
    { app: true },
  )
}

async function relationEvent(
  definition: CharmDefinition,
  runtime: CharmRuntime,
  observed: ObservedModel,
  previousIngressUrl: string | null,
): Promise<EventBody> {
  const relation = runtime.context.relation
  if (relation === undefined) throw new Error('relation hook without a relation')
  const suffix = runtime.context.name.slice(
    runtime.context.name.lastIndexOf('-relation-') + '-relation-'.length,
  )
  const body = {
    endpoint: relation.endpoint,
    relationId: relation.id,
    ...(relation.remoteApp === undefined ? {} : { remoteApp: relation.remoteApp }),
    ...(relation.remoteUnit === undefined ? {} : { remoteUnit: relation.remoteUnit }),
    ...(relation.departingUnit === undefined ? {} : { departingUnit: relation.departingUnit }),
  }
  const generic = { type: `juju.relation-${suffix}` as EventBody['type'], ...body }
  const kind = definition.integrations[relation.endpoint]?.kind
  if (kind === 'secret-storage' && ['created', 'changed', 'departed'].includes(suffix)) {
    return { ...body, type: `juju.secret-storage-${suffix}` as EventBody['type'] }
  }
  if (kind === 'database') {
    if (suffix === 'created')
      await requestDatabase(definition, runtime, observed.facts, relation.endpoint)
    if (suffix === 'changed')
      return { ...body, type: await databaseChanged(runtime, observed, relation.endpoint) }
    if (suffix === 'broken') return { ...body, type: 'juju.database-relation-broken' }
  }
  if (kind === 'ingress') {
    if (suffix === 'broken') return { ...body, type: 'juju.ingress-revoked' }
    const url = ingressUrlOf(observed.relations[relation.endpoint]?.app ?? {})
    if (url !== undefined && url !== previousIngressUrl)
      return { ...body, type: 'juju.ingress-ready', url }
  }
  return generic
}

/**
 * Maps this dispatch to a typed Juju event, including the derived relation events of
 * integrations with a role. The result still needs `now` and `facts`.
 */
export async function deriveEvent(
  definition: CharmDefinition,
  runtime: CharmRuntime,
  observed: ObservedModel,
  previousIngressUrl: string | null,
): Promise<EventBody> {
  const { context, tools } = runtime
  if (context.kind === 'action') {
    return {
      type: 'juju.action',
      name: context.name,
      id: context.action?.id ?? '',
      params: await tools.actionGet(),
    }
  }
  const plain = `juju.${context.name}`
  if ((PLAIN_HOOK_EVENTS as readonly string[]).includes(plain))
    return { type: plain as EventBody['type'] }
  if (context.name.endsWith('-pebble-ready')) {
    return {
      type: 'juju.pebble-ready',
      container: context.workload ?? context.name.replace(/-pebble-ready$/, ''),
    }
  }
  if (context.relation !== undefined)
    return relationEvent(definition, runtime, observed, previousIngressUrl)
  if (context.secret !== undefined) {
    const { id, label, revision } = context.secret
    return {
      type: `juju.${context.name}` as EventBody['type'],
      secretId: id,
      ...(label === undefined ? {} : { label }),
      ...(revision === undefined ? {} : { revision }),
    }
  }
  return { type: 'juju.hook', hook: context.name }
}

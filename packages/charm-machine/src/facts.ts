import * as v from 'valibot'

/**
 * What a declared integration is for. The machine gates on the role, never on the endpoint name,
 * so any charm can map its own endpoints onto these roles.
 */
export const IntegrationKindSchema = v.picklist(['database', 'ingress', 'secret-storage', 'other'])

/** The role of an integration: `database`, `ingress`, `secret-storage` (peer) or `other`. */
export type IntegrationKind = v.InferOutput<typeof IntegrationKindSchema>

/**
 * How far an integration is: `absent` (no relation: a human must relate it), `pending` (related,
 * the remote side has not answered yet) or `ready`.
 */
export const IntegrationStatusSchema = v.picklist(['absent', 'pending', 'ready'])

/** See {@link IntegrationStatusSchema}. */
export type IntegrationStatus = v.InferOutput<typeof IntegrationStatusSchema>

/** One declared integration as read from the model at dispatch time. */
export const IntegrationFactSchema = v.strictObject({
  kind: IntegrationKindSchema,
  required: v.boolean(),
  status: IntegrationStatusSchema,
})

/** See {@link IntegrationFactSchema}. */
export type IntegrationFact = v.InferOutput<typeof IntegrationFactSchema>

/**
 * One workload container: whether its Pebble answers and, when the hook read its health
 * (`update-status` and Pebble check hooks), the services of its plan that should run but do
 * not (`inactive`, or `error`: Pebble gave up restarting it) and the checks that are down, with
 * their failure counts. Left out when not read: nothing is known to be wrong.
 */
export const ContainerFactSchema = v.strictObject({
  reachable: v.boolean(),
  stopped: v.optional(v.record(v.string(), v.picklist(['inactive', 'error']))),
  failingChecks: v.optional(v.record(v.string(), v.number())),
})

/** See {@link ContainerFactSchema}. */
export type ContainerFact = v.InferOutput<typeof ContainerFactSchema>

/** A config option value as `config-get --format=json` returns it. */
export const ConfigValueSchema = v.union([v.string(), v.number(), v.boolean()])

/** See {@link ConfigValueSchema}. */
export type ConfigValue = v.InferOutput<typeof ConfigValueSchema>

/**
 * The facts read from the model at dispatch time. Every Juju event carries them, and the guards
 * decide from them alone, so replaying a log reproduces every decision without asking Juju again.
 *
 * @example
 * ```ts
 * const facts: CharmFacts = {
 *   leader: true,
 *   containers: { 'flask-app': { reachable: true } },
 *   config: { 'log-level': 'INFO' },
 *   integrations: {
 *     mongodb: { kind: 'database', required: true, status: 'ready' },
 *     'secret-storage': { kind: 'secret-storage', required: true, status: 'ready' },
 *   },
 * }
 * ```
 */
export const CharmFactsSchema = v.strictObject({
  leader: v.boolean(),
  containers: v.record(v.string(), ContainerFactSchema),
  config: v.record(v.string(), ConfigValueSchema),
  integrations: v.record(v.string(), IntegrationFactSchema),
})

/** See {@link CharmFactsSchema}. */
export type CharmFacts = v.InferOutput<typeof CharmFactsSchema>

/** Names of the required integrations of `kind` that are not ready, sorted. */
export function missingIntegrations(facts: CharmFacts, kind?: IntegrationKind): string[] {
  return Object.entries(facts.integrations)
    .filter(([, fact]) => fact.required && fact.status !== 'ready')
    .filter(([, fact]) => kind === undefined || fact.kind === kind)
    .map(([name]) => name)
    .sort()
}

/** Names of the containers whose Pebble cannot be reached, sorted. */
export function unreachableContainers(facts: CharmFacts): string[] {
  return Object.entries(facts.containers)
    .filter(([, container]) => !container.reachable)
    .map(([name]) => name)
    .sort()
}

/** `container/service (state)` for each service that should run but does not, sorted. */
export function stoppedServices(facts: CharmFacts): string[] {
  return Object.entries(facts.containers)
    .flatMap(([name, container]) =>
      Object.entries(container.stopped ?? {}).map(
        ([service, state]) => `${service} in ${name} is ${state}`,
      ),
    )
    .sort()
}

/** `check "name" (N failures)` for each Pebble check that is down, sorted. */
export function failingChecks(facts: CharmFacts): string[] {
  return Object.values(facts.containers)
    .flatMap((container) =>
      Object.entries(container.failingChecks ?? {}).map(
        ([check, failures]) =>
          `check "${check}" failing (${failures} failure${failures === 1 ? '' : 's'})`,
      ),
    )
    .sort()
}

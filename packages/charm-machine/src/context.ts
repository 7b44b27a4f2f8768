import type { CharmFacts, ConfigValue } from './facts.js'
import type { EffectName } from './events.js'

/** Whether the charm's database migrations still have to run. */
export type MigrationStatus = 'pending' | 'completed' | 'failed'

/** The machine's context: JSON-safe, persisted in every snapshot. */
export interface CharmContext {
  /** The facts of the last Juju event. */
  facts: CharmFacts | null
  /** The `now` of the last Juju event (ISO 8601). */
  now: string | null
  migrations: MigrationStatus
  /** Messages from the last failed `validateConfig`, shown in the blocked status. */
  configErrors: string[]
  /** The last effect that failed and put the unit into a failure state. */
  failure: { effect: EffectName; reason: string } | null
  /** The ingress URL from the last `juju.ingress-ready`, cleared by `juju.ingress-revoked`. */
  ingressUrl: string | null
  /** The action being run by the `runAction` effect. */
  pendingAction: { name: string; id: string; params: Record<string, unknown> } | null
  /** How the last action ended. */
  lastAction: { name: string; id: string; outcome: 'completed' | 'failed'; message: string } | null
  /** Set when the stored state was unusable and the unit restarted from the current facts. */
  recovery: { reason: string } | null
  /** Set by `juju.remove`; the unit then ignores everything. */
  removed: boolean
}

/** Input of the `validateConfig` effect. */
export interface ValidateConfigInput {
  config: Record<string, ConfigValue>
  facts: CharmFacts
}

/** Output of the `validateConfig` effect: an empty list means the config is valid. */
export interface ValidateConfigOutput {
  /** Human-readable problems; joined with `, ` into the blocked status. */
  errors: string[]
}

/** Input of the `runMigrations`, `restartWorkload` and `stopWorkload` effects. */
export interface WorkloadEffectInput {
  facts: CharmFacts
  /** The ingress URL known to the machine, if any. */
  ingressUrl: string | null
  /** The Juju event time that started this reconcile (ISO 8601). */
  now: string
}

/** Input of the `initSecretStorage` effect (leader only, on `juju.secret-storage-created`). */
export interface InitSecretStorageInput {
  endpoint: string
  relationId: number
  facts: CharmFacts
}

/** Output of `initSecretStorage`: `ready` when the peer data now holds every secret. */
export interface InitSecretStorageOutput {
  ready: boolean
}

/** Input of the `runAction` effect. */
export interface RunActionInput {
  name: string
  id: string
  params: Record<string, unknown>
  facts: CharmFacts
}

/**
 * Output of `runAction`. `failed` is the `action-fail` message, if the action failed in an
 * expected way; `reconcile` asks the machine to validate, migrate and restart again (for example
 * after rotating a secret key).
 */
export interface RunActionOutput {
  failed?: string
  reconcile?: boolean
}

/** The initial context of a unit that has seen no event. */
export const INITIAL_CONTEXT: CharmContext = {
  facts: null,
  now: null,
  migrations: 'pending',
  configErrors: [],
  failure: null,
  ingressUrl: null,
  pendingAction: null,
  lastAction: null,
  recovery: null,
  removed: false,
}

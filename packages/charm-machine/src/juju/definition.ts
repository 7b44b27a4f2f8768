import type { CharmEffects, HookMemo, IntegrationKind } from '../index.js'
import type { DispatchContext } from './env.js'
import type { HookTools, JujuLogLevel } from './hook-tools.js'
import type { WorkloadClient } from './workload.js'

/** The data of one relation as read at dispatch time. */
export interface RelationData {
  ref: string
  remoteApp: string | undefined
  /** The remote application's databag (for a peer relation: the own app's bag). */
  app: Record<string, string>
  /** Remote units' bags, by unit name. */
  units: Record<string, Record<string, string>>
  /** This unit's own bag. */
  localUnit: Record<string, string>
}

/** How the runtime treats one endpoint of the charm's metadata. */
export interface IntegrationSpec {
  kind: IntegrationKind
  /**
   * Whether the unit cannot serve without it (blocked when absent, waiting when pending). A
   * function decides from this dispatch's config (as `config-get` returns it, unredacted), for
   * an integration only some settings need; the facts record the answer.
   */
  required: boolean | ((config: Readonly<Record<string, unknown>>) => boolean)
  /** `database` only: the database name to request (default: the application name). */
  databaseName?: string
  /** `secret-storage` only: app-bag keys that must be non-empty for the storage to be ready. */
  secretKeys?: string[]
  /** Overrides the default readiness check of the kind. */
  isReady?(relation: RelationData, runtime: CharmRuntime): Promise<boolean> | boolean
}

/** What a charm's code gets for one dispatch. */
export interface CharmRuntime {
  context: DispatchContext
  tools: HookTools
  /** The Pebble client of a container. */
  workload(container: string): WorkloadClient
  log(level: JujuLogLevel, message: string): Promise<void>
  /**
   * What the last successful dispatch knew (remote app names, statuses it set, anything the
   * charm keeps under its own keys) and what this one passes on: the runtime saves it only if
   * this dispatch succeeds. Use it to skip a read, never as the only copy of anything.
   */
  memo: HookMemo
}

/**
 * A charm built on the machine: its integrations and containers, and the effects it supplies.
 * The library knows nothing else about the charm.
 *
 * @example
 * ```ts
 * export const charm: CharmDefinition = {
 *   containers: ['flask-app'],
 *   integrations: {
 *     mongodb: { kind: 'database', required: true },
 *     ingress: { kind: 'ingress', required: false },
 *     'secret-storage': { kind: 'secret-storage', required: true, secretKeys: ['flask_secret_key'] },
 *   },
 *   connectWorkload: (container) => adaptPebble(`/charm/containers/${container}/pebble.socket`),
 *   effects: (runtime) => ({ validateConfig: async ({ config }) => ({ errors: [] }), ... }),
 * }
 * ```
 */
export interface CharmDefinition {
  containers: string[]
  integrations: Record<string, IntegrationSpec>
  /**
   * Config options whose values are secrets (passwords, webhook secrets). The facts, and so the
   * event log, hold only their fingerprints; effects read the real values through the hook tools.
   */
  sensitiveOptions?: readonly string[]
  /** Builds the Pebble client of a container (production; the harness supplies fakes). */
  connectWorkload(container: string, context: DispatchContext): WorkloadClient
  /** Builds the effects for this dispatch. `runAction` failures are reported with `action-fail`. */
  effects(runtime: CharmRuntime): Partial<CharmEffects>
  /** Runs before the event is dispatched (e.g. to re-publish ingress data on every hook). */
  beforeDispatch?(runtime: CharmRuntime): Promise<void>
}

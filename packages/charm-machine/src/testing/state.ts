import type { ConfigValue, HookMemo, LogEntry, SnapshotRecord, UnitStatus } from '../index.js'
import type { ExecResult, PebbleLayer } from '../juju/index.js'

/** A relation in the harness: both sides' databags. Values are strings, as in Juju. */
export interface Relation {
  endpoint: string
  id: number
  remoteApp: string
  /** `true` for a peer relation: the remote app is this app, remote units are its other units. */
  peer?: boolean
  localAppData: Record<string, string>
  localUnitData: Record<string, string>
  remoteAppData: Record<string, string>
  /** Remote units' bags by unit name (peers: the other units of this app). */
  remoteUnitsData: Record<string, Record<string, string>>
}

/** A Juju secret: what the charm tracks, and the latest revision. */
export interface Secret {
  id: string
  /** `app` or `unit` when this charm owns it; `null` when it was granted to it. */
  owner: 'app' | 'unit' | null
  trackedContent: Record<string, string>
  latestContent: Record<string, string>
  revision: number
  label?: string
  description?: string
  expire?: string
  rotate?: string
}

/** A Pebble exec mock, matched by the longest command prefix (`[]` matches anything). */
export interface ExecMock extends Partial<ExecResult> {
  commandPrefix: string[]
}

/** A workload container with its Pebble state. */
export interface Container {
  name: string
  /** Whether Pebble answers; every Pebble call fails when `false` (Scenario's default). */
  canConnect: boolean
  /** Layers by label, applied in order. */
  layers: Record<string, PebbleLayer>
  /** Current service states by name. */
  services: Record<string, 'active' | 'inactive' | 'backoff' | 'error'>
  /** Services that fail to start on `replan`/`start`, with the error text. */
  failingServices?: Record<string, string>
  /** Pebble check states by name (`GET /v1/checks`); `failures` defaults to 0 up, 3 down. */
  checks?: Record<string, { status: 'up' | 'down' | 'inactive'; failures?: number }>
  execs: ExecMock[]
  /** The simulated filesystem: path → content. */
  files: Record<string, string>
}

/** The unit's stored machine log and checkpoint (what the file store would hold). */
export interface StoredLog {
  entries: LogEntry[]
  snapshot: SnapshotRecord | null
  /** The memo the last successful dispatch left; absent after a failed one. */
  memo?: HookMemo
}

/** The harness's picture of the world, Scenario-style: immutable in, new copy out. */
export interface State {
  config: Record<string, ConfigValue>
  leader: boolean
  relations: Relation[]
  secrets: Secret[]
  containers: Container[]
  unitStatus: UnitStatus | { name: 'error'; message: string }
  appStatus: UnitStatus | { name: 'error'; message: string }
  openedPorts: string[]
  workloadVersion: string
  /** Bind address per binding for `network-get`; Scenario's default is `192.0.2.0`. */
  networks: Record<
    string,
    { bindAddress: string; ingressAddresses?: string[]; egressSubnets?: string[] }
  >
  /** Controller storage (`state-get`/`state-set`). */
  controllerState: Record<string, string>
  storedLog: StoredLog
}

/**
 * Builds a {@link State}, filling every field left out with Juju's defaults (no relations, not
 * leader, unknown status, empty log).
 *
 * @example
 * ```ts
 * const state = createState({ leader: true, config: { 'log-level': 'INFO' }, containers: [container({ name: 'flask-app' })] })
 * ```
 */
export function createState(partial: Partial<State> = {}): State {
  return {
    config: {},
    leader: false,
    relations: [],
    secrets: [],
    containers: [],
    unitStatus: { name: 'unknown', message: '' },
    appStatus: { name: 'unknown', message: '' },
    openedPorts: [],
    workloadVersion: '',
    networks: {},
    controllerState: {},
    storedLog: { entries: [], snapshot: null },
    ...structuredClone(partial),
  }
}

let nextRelationId = 1

/** Builds a relation; `id` is allocated when left out. */
export function relation(partial: Partial<Relation> & { endpoint: string }): Relation {
  return {
    id: nextRelationId++,
    remoteApp: 'remote',
    localAppData: {},
    localUnitData: {},
    remoteAppData: {},
    remoteUnitsData: partial.peer === true ? {} : { 'remote/0': {} },
    ...partial,
  }
}

/** Builds a peer relation (`remoteApp` is filled in by the harness with this app's name). */
export function peerRelation(partial: Partial<Relation> & { endpoint: string }): Relation {
  return relation({ ...partial, peer: true })
}

/** Builds a container; reachable unless `canConnect: false` is given. */
export function container(partial: Partial<Container> & { name: string }): Container {
  return { canConnect: true, layers: {}, services: {}, execs: [], files: {}, ...partial }
}

let nextSecretId = 1

/** Builds a secret; `latestContent` defaults to `trackedContent`. */
export function secret(
  partial: Partial<Secret> & { trackedContent: Record<string, string> },
): Secret {
  return {
    id: `secret:harness${String(nextSecretId++).padStart(4, '0')}`,
    owner: null,
    latestContent: partial.trackedContent,
    revision: 1,
    ...partial,
  }
}

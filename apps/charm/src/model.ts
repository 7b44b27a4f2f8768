/**
 * The slice of the Juju model the router charm reads and writes. The runtime implements it over
 * hook tools; tests implement it in memory.
 */
export interface CharmModel {
  readonly appName: string
  readonly unitName: string
  readonly modelName: string
  readonly modelUuid: string
  isLeader(): Promise<boolean>
  config(): Promise<Record<string, unknown>>
  /** Relation ids of an endpoint, e.g. `[7]` for `mongodb:7`. */
  relationIds(endpoint: string): Promise<number[]>
  /** The remote application name of a relation. */
  remoteApp(endpoint: string, relationId: number): Promise<string | undefined>
  /** A databag: this app's, this unit's, or the remote app's. */
  readBag(endpoint: string, relationId: number, bag: DatabagOwner): Promise<Record<string, string>>
  /** The remote units' databags, in unit-name order; a relation that is gone has none. */
  readRemoteUnitBags(endpoint: string, relationId: number): Promise<Record<string, string>[]>
  /** Merges `changes` into this app's or unit's databag; `""` deletes a key. */
  writeBag(
    endpoint: string,
    relationId: number,
    bag: 'app' | 'unit',
    changes: Record<string, string>,
  ): Promise<void>
  /** Secret content. `refresh` moves tracking to the latest revision. */
  secretGet(
    id: string,
    options?: { label?: string; refresh?: boolean },
  ): Promise<Record<string, string>>
  /** The unit's ingress address on a binding, when Juju knows one. */
  bindAddress(binding: string, relationId?: number): Promise<string | undefined>
  openPort(port: number): Promise<void>
  log(level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR', message: string): Promise<void>
}

/** Whose databag to read. */
export type DatabagOwner = 'local-app' | 'local-unit' | 'remote-app'

/** The action half of the model: parameters in, results and failure out. */
export interface ActionContext {
  readonly name: string
  readonly params: Readonly<Record<string, unknown>>
  setResults(results: Record<string, string>): Promise<void>
  fail(message: string): Promise<void>
  log(message: string): Promise<void>
}

/**
 * A secret this unit cannot read: not found, or not granted (`permission denied`), with the hook
 * tool's reason. A transient `secret-get` failure is not one: it stays a hook-tool error.
 */
export class SecretAccessError extends Error {
  override readonly name = 'SecretAccessError'
  constructor(
    readonly secretId: string,
    readonly reason: string,
  ) {
    super(`cannot read secret ${secretId}: ${reason}`)
  }
}

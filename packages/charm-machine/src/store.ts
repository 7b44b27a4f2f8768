import type { LogEntry } from './log.js'
import type { SnapshotRecord } from './snapshot.js'

/** What a store holds for a unit: the last checkpoint and the log entries written after it. */
export interface StoredUnit {
  /** The raw checkpoint (validated by the caller), or `null` when there is none or it is unreadable. */
  snapshot: unknown
  /** Entries after the checkpoint's `seq`; every entry when there is no checkpoint. */
  entries: LogEntry[]
  /** Damage the store found while reading (invalid lines, unreadable checkpoint). */
  problems: string[]
  /** Harmless repairs the store made (e.g. dropping a torn final line that was never applied). */
  notes?: string[]
}

/**
 * What one successful dispatch leaves for the next, to skip hook-tool calls whose answer is
 * already known: the statuses it set, remote app names of relations, what it published. Only
 * a hint: a dispatch that finds none does every call, so losing it costs time, never state.
 */
export type HookMemo = Record<string, string>

/** The whole log, for replay and recovery. */
export interface StoredLog {
  entries: LogEntry[]
  problems: string[]
}

/**
 * The persistence port. Writes are awaited one at a time, in order: `append` an entry, then
 * `saveSnapshot` the state after it. The default is {@link FileStore}; a peer-relation or Mongo
 * store implements the same five methods.
 */
export interface CharmStore {
  /** Loads the last checkpoint and the entries after it; never throws on damaged data. */
  load(): Promise<StoredUnit>
  /** Reads every entry of the log. */
  readLog(): Promise<StoredLog>
  /** Appends one entry to the log. */
  append(entry: LogEntry): Promise<void>
  /** Replaces the checkpoint. */
  saveSnapshot(record: SnapshotRecord): Promise<void>
  /** Keeps the damaged log and checkpoint aside for humans and starts empty ones. */
  quarantine(reason: string): Promise<void>
  /**
   * Returns the memo the last successful dispatch saved and forgets it, so that a dispatch which
   * dies half-way leaves none behind. A store without memos makes every dispatch do every call.
   */
  takeMemo?(): Promise<HookMemo>
  /** Keeps the memo for the next dispatch; the runtime calls it only when a dispatch succeeded. */
  saveMemo?(memo: HookMemo): Promise<void>
}

/**
 * A store in memory, for tests and the harness. `quarantined` keeps what was set aside.
 *
 * @example
 * ```ts
 * const store = new MemoryStore()
 * ```
 */
export class MemoryStore implements CharmStore {
  entries: LogEntry[] = []
  snapshot: SnapshotRecord | null = null
  memo: HookMemo | null = null
  readonly quarantined: { reason: string; entries: LogEntry[]; snapshot: unknown }[] = []

  constructor(
    initial: { entries?: LogEntry[]; snapshot?: SnapshotRecord | null; memo?: HookMemo } = {},
  ) {
    this.entries = [...(initial.entries ?? [])]
    this.snapshot = initial.snapshot ?? null
    this.memo = initial.memo === undefined ? null : { ...initial.memo }
  }

  async load(): Promise<StoredUnit> {
    const after = this.snapshot?.seq ?? 0
    return {
      snapshot: this.snapshot === null ? null : structuredClone(this.snapshot),
      entries: this.entries.filter((entry) => entry.seq > after),
      problems: [],
    }
  }

  async readLog(): Promise<StoredLog> {
    return { entries: [...this.entries], problems: [] }
  }

  async append(entry: LogEntry): Promise<void> {
    this.entries.push(structuredClone(entry))
  }

  async saveSnapshot(record: SnapshotRecord): Promise<void> {
    this.snapshot = structuredClone(record)
  }

  async quarantine(reason: string): Promise<void> {
    this.quarantined.push({ reason, entries: this.entries, snapshot: this.snapshot })
    this.entries = []
    this.snapshot = null
  }

  async takeMemo(): Promise<HookMemo> {
    const memo = this.memo ?? {}
    this.memo = null
    return memo
  }

  async saveMemo(memo: HookMemo): Promise<void> {
    this.memo = { ...memo }
  }
}

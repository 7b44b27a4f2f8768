import {
  closeSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  appendFileSync,
  writeFileSync,
  existsSync,
  unlinkSync,
} from 'node:fs'
import { join } from 'node:path'
import * as v from 'valibot'
import type { LogEntry } from './log.js'
import { parseLogLine } from './log.js'
import type { SnapshotRecord } from './snapshot.js'
import type { CharmStore, HookMemo, StoredLog, StoredUnit } from './store.js'

const HookMemoSchema = v.record(v.string(), v.string())

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** The directory holding `log.jsonl` and `snapshot.json`, e.g. `$JUJU_CHARM_DIR/.charm-machine`. */
  directory: string
  /** Clock for quarantine file names; injected for tests. */
  now?: () => Date
}

/**
 * The default store: an append-only JSON-lines log plus a checkpoint written atomically (temp
 * file + rename), both mode 0600. The checkpoint records the log's byte length, so loading reads
 * only the entries after it: rehydration cost does not grow with the log.
 *
 * @example
 * ```ts
 * const store = new FileStore({ directory: join(process.env.JUJU_CHARM_DIR!, '.charm-machine') })
 * ```
 */
export class FileStore implements CharmStore {
  readonly logPath: string
  readonly snapshotPath: string
  /** The {@link HookMemo} between two dispatches; absent while a dispatch runs. */
  readonly memoPath: string
  readonly #directory: string
  readonly #now: () => Date
  #logBytes: number | null = null

  constructor(options: FileStoreOptions) {
    this.#directory = options.directory
    this.#now = options.now ?? (() => new Date())
    this.logPath = join(options.directory, 'log.jsonl')
    this.snapshotPath = join(options.directory, 'snapshot.json')
    this.memoPath = join(options.directory, 'memo.json')
  }

  async load(): Promise<StoredUnit> {
    const problems: string[] = []
    let snapshot: unknown = null
    let offset = 0
    if (existsSync(this.snapshotPath)) {
      try {
        const stored = JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as {
          record?: unknown
          logBytes?: unknown
        }
        if (typeof stored.logBytes !== 'number' || stored.record === undefined)
          throw new Error('no record or logBytes')
        snapshot = stored.record
        offset = stored.logBytes
      } catch (error) {
        problems.push(`unreadable snapshot: ${(error as Error).message}`)
      }
    }
    const size = this.#logSize()
    if (offset > size) {
      problems.push(`log is shorter (${size} bytes) than the snapshot says (${offset} bytes)`)
      snapshot = null
      offset = 0
    }
    const notes = this.#dropTornTail()
    const { entries, problems: logProblems } = this.#readFrom(offset)
    return { snapshot, entries, problems: [...problems, ...logProblems], notes }
  }

  async readLog(): Promise<StoredLog> {
    return this.#readFrom(0)
  }

  async append(entry: LogEntry): Promise<void> {
    this.#ensureDirectory()
    const line = `${JSON.stringify(entry)}\n`
    appendFileSync(this.logPath, line, { mode: 0o600 })
    this.#logBytes =
      (this.#logBytes ?? this.#logSize() - Buffer.byteLength(line)) + Buffer.byteLength(line)
  }

  async saveSnapshot(record: SnapshotRecord): Promise<void> {
    this.#ensureDirectory()
    const logBytes = this.#logBytes ?? this.#logSize()
    const temporary = `${this.snapshotPath}.tmp-${process.pid}`
    writeFileSync(temporary, JSON.stringify({ record, logBytes }), { mode: 0o600 })
    renameSync(temporary, this.snapshotPath)
  }

  async quarantine(reason: string): Promise<void> {
    this.#ensureDirectory()
    const stamp = this.#now().toISOString().replace(/[:.]/g, '-')
    for (const path of [this.logPath, this.snapshotPath]) {
      if (existsSync(path)) renameSync(path, `${path}.corrupt-${stamp}`)
    }
    writeFileSync(join(this.#directory, `quarantine-${stamp}.txt`), `${reason}\n`, { mode: 0o600 })
    this.#logBytes = 0
  }

  async takeMemo(): Promise<HookMemo> {
    let text: string
    try {
      text = readFileSync(this.memoPath, 'utf8')
      unlinkSync(this.memoPath)
    } catch {
      return {}
    }
    try {
      const parsed = v.safeParse(HookMemoSchema, JSON.parse(text))
      return parsed.success ? parsed.output : {}
    } catch {
      // A damaged memo is only a lost hint: the dispatch makes every call instead.
      return {}
    }
  }

  async saveMemo(memo: HookMemo): Promise<void> {
    this.#ensureDirectory()
    const temporary = `${this.memoPath}.tmp-${process.pid}`
    writeFileSync(temporary, JSON.stringify(memo), { mode: 0o600 })
    renameSync(temporary, this.memoPath)
  }

  /**
   * A crash during `append` can leave a final line without its newline. That entry was never
   * applied (the checkpoint is written after it), so cut it off before anything is appended.
   */
  #dropTornTail(): string[] {
    const size = this.#logSize()
    if (size === 0) return []
    const descriptor = openSync(this.logPath, 'r+')
    try {
      const last = Buffer.alloc(1)
      readSync(descriptor, last, 0, 1, size - 1)
      if (last[0] === 0x0a) return []
      // Only after a crash: look back for the last complete line.
      const window = Buffer.alloc(Math.min(size, 1 << 20))
      readSync(descriptor, window, 0, window.length, size - window.length)
      const lastNewline = window.lastIndexOf(0x0a)
      const keep =
        lastNewline === -1 ? size - window.length : size - window.length + lastNewline + 1
      ftruncateSync(descriptor, keep)
      this.#logBytes = keep
      return [`dropped a torn final log line (${size - keep} bytes) that was never applied`]
    } finally {
      closeSync(descriptor)
    }
  }

  #ensureDirectory(): void {
    mkdirSync(this.#directory, { recursive: true, mode: 0o700 })
  }

  #logSize(): number {
    if (!existsSync(this.logPath)) return 0
    const descriptor = openSync(this.logPath, 'r')
    try {
      return fstatSync(descriptor).size
    } finally {
      closeSync(descriptor)
    }
  }

  #readFrom(offset: number): StoredLog {
    if (!existsSync(this.logPath)) return { entries: [], problems: [] }
    const descriptor = openSync(this.logPath, 'r')
    let text: string
    try {
      const size = fstatSync(descriptor).size
      const buffer = Buffer.alloc(Math.max(0, size - offset))
      readSync(descriptor, buffer, 0, buffer.length, offset)
      text = buffer.toString('utf8')
    } finally {
      closeSync(descriptor)
    }
    const entries: LogEntry[] = []
    const problems: string[] = []
    const lines = text.split('\n')
    lines.forEach((line, index) => {
      if (line === '') return
      try {
        entries.push(parseLogLine(line))
      } catch (error) {
        const torn = index === lines.length - 1
        problems.push(
          `${torn ? 'torn' : 'invalid'} log line after byte ${offset}: ${(error as Error).message}`,
        )
      }
    })
    return { entries, problems }
  }
}

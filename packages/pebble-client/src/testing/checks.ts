/**
 * The check manager: http, tcp and exec checks run on their period, counted against their
 * threshold, each driven by a `perform-check` or `recover-check` change (contract §7).
 */
import { isDeepStrictEqual } from 'node:util'
import { parseGoDuration } from '../duration.js'
import type { CheckConfig, Layer } from '../layer.js'
import type { ChangeRecord, ChangeStore, TaskRecord } from './changes.js'
import { runProbe } from './check-probes.js'
import { HttpError } from './http-error.js'

export interface CheckManagerOptions {
  changes: ChangeStore
  plan: () => Layer
  environment: Readonly<Record<string, string | undefined>>
  /** A check went down: apply the services' `on-check-failure` actions. */
  onCheckDown: (check: string) => void
}

interface CheckRecord {
  name: string
  config: CheckConfig
  status: 'up' | 'down' | 'inactive'
  successes: number
  failures: number
  change?: ChangeRecord
  task?: TaskRecord
  prevChangeId?: string
  timer?: NodeJS.Timeout
}

const TYPE_WORD = { http: 'HTTP', tcp: 'TCP', exec: 'exec' } as const

/** Runs the plan's checks for one daemon. */
export class CheckManager {
  private readonly records = new Map<string, CheckRecord>()

  constructor(private readonly options: CheckManagerOptions) {}

  /** After a layer is added: start new or changed enabled checks, stop removed or changed ones (§3.1). */
  planChanged(): void {
    const checks = this.options.plan().checks ?? {}
    for (const record of [...this.records.values()]) {
      const config = checks[record.name]
      if (config && isDeepStrictEqual(config, record.config)) continue
      this.deactivate(record)
      this.records.delete(record.name)
    }
    for (const [name, config] of Object.entries(checks)) {
      if (this.records.has(name)) continue
      const record: CheckRecord = {
        name,
        config: structuredClone(config),
        status: 'inactive',
        successes: 0,
        failures: 0,
      }
      this.records.set(name, record)
      if (config.startup !== 'disabled') this.activate(record)
    }
  }

  /** Replan starts enabled checks that are inactive (§5.2). */
  replan(): void {
    for (const record of this.records.values()) {
      if (record.status === 'inactive' && record.config.startup !== 'disabled')
        this.activate(record)
    }
  }

  /** `POST /v1/checks` (§7); returns the checks whose state changed, sorted. */
  setActive(names: readonly string[], active: boolean): string[] {
    const missing = names.filter((name) => !this.records.has(name))
    if (missing.length > 0) {
      throw new Error(
        `cannot ${active ? 'start' : 'stop'} checks: cannot find checks in plan: ${missing.join(', ')}`,
      )
    }
    const changed: string[] = []
    for (const name of names) {
      const record = this.records.get(name) as CheckRecord
      if (active === (record.status !== 'inactive')) continue
      if (active) this.activate(record)
      else this.deactivate(record)
      changed.push(name)
    }
    return changed.sort()
  }

  has(name: string): boolean {
    return this.records.has(name)
  }

  /** Checks as `GET /v1/checks` lists them (§7). */
  infos(
    level: string | undefined,
    names: readonly string[] | undefined,
  ): Array<Record<string, unknown>> {
    return [...this.records.values()]
      .filter((record) => !level || record.config.level === level)
      .filter((record) => !names || names.length === 0 || names.includes(record.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((record) => this.infoOf(record))
  }

  /** `/v1/health` (§2): healthy unless a selected check is down; ready implies alive. */
  healthy(level: 'alive' | 'ready' | undefined, names: readonly string[] | undefined): boolean {
    return ![...this.records.values()].some((record) => {
      if (names && names.length > 0 && !names.includes(record.name)) return false
      const checkLevel = record.config.level
      if (level === 'alive' && checkLevel !== 'alive') return false
      if (level === 'ready' && checkLevel !== 'ready' && checkLevel !== 'alive') return false
      return record.status === 'down'
    })
  }

  /**
   * `POST /v1/checks/refresh` (§7): runs the check now. An active check counts the run as one of
   * its periods; an inactive one is only probed.
   */
  async refresh(name: string): Promise<{ info: Record<string, unknown>; error?: string }> {
    const record = this.records.get(name)
    if (!record) throw new HttpError(404, `cannot find check with name "${name}"`)
    let error: string | undefined
    if (record.change) {
      clearTimeout(record.timer)
      error = await this.runOnce(record)
    } else {
      error = await runProbe(
        record.config,
        this.options.plan().services ?? {},
        this.options.environment,
      )
    }
    return { info: this.infoOf(record), ...(error === undefined ? {} : { error }) }
  }

  /** Stops every check timer; the daemon is going away. */
  stopAll(): void {
    for (const record of this.records.values()) clearTimeout(record.timer)
  }

  private infoOf(record: CheckRecord): Record<string, unknown> {
    return {
      name: record.name,
      ...(record.config.level ? { level: record.config.level } : {}),
      startup: record.config.startup || 'enabled',
      status: record.status,
      successes: record.successes,
      ...(record.failures > 0 ? { failures: record.failures } : {}),
      threshold: thresholdOf(record.config),
      ...(record.change ? { 'change-id': record.change.id } : {}),
      ...(record.prevChangeId ? { 'prev-change-id': record.prevChangeId } : {}),
    }
  }

  private activate(record: CheckRecord): void {
    record.failures = 0
    record.status = 'up'
    this.beginChange(record, 'perform-check', 'Perform')
  }

  private deactivate(record: CheckRecord): void {
    clearTimeout(record.timer)
    if (record.change && record.task)
      this.options.changes.setStatus(record.change, record.task, 'Done')
    if (record.change) record.prevChangeId = record.change.id
    delete record.change
    delete record.task
    record.status = 'inactive'
  }

  private beginChange(
    record: CheckRecord,
    kind: 'perform-check' | 'recover-check',
    verb: string,
  ): void {
    const summary = `${verb} ${TYPE_WORD[typeOf(record.config)]} check "${record.name}"`
    const change = this.options.changes.create(kind, summary, { 'check-name': record.name })
    const task = this.options.changes.addTask(change, kind, summary)
    this.options.changes.setStatus(change, task, 'Doing')
    if (record.change) record.prevChangeId = record.change.id
    record.change = change
    record.task = task
    this.schedule(record)
  }

  private schedule(record: CheckRecord): void {
    record.timer = setTimeout(() => void this.runOnce(record), periodOf(record.config))
  }

  /** One period: probe, count, move between perform and recover. Returns the failure, if any. */
  private async runOnce(record: CheckRecord): Promise<string | undefined> {
    const { change, task } = record
    if (!change || !task) return undefined
    const error = await runProbe(
      record.config,
      this.options.plan().services ?? {},
      this.options.environment,
    )
    if (record.change !== change) return error // stopped or replaced while running
    const { changes } = this.options
    if (error === undefined) {
      record.successes++
      if (record.failures > 0) {
        const count = `${record.failures} ${record.failures === 1 ? 'failure' : 'failures'}`
        changes.log(task, 'INFO', `succeeded after ${count}`)
      }
      record.failures = 0
      if (change.kind === 'recover-check') {
        changes.setStatus(change, task, 'Done')
        record.status = 'up'
        this.beginChange(record, 'perform-check', 'Perform')
        return error
      }
    } else {
      record.failures++
      changes.log(task, 'ERROR', error)
      if (change.kind === 'perform-check' && record.failures >= thresholdOf(record.config)) {
        changes.setStatus(change, task, 'Error')
        record.status = 'down'
        this.beginChange(record, 'recover-check', 'Recover')
        this.options.onCheckDown(record.name)
        return error
      }
    }
    this.schedule(record)
    return error
  }
}

function typeOf(config: CheckConfig): 'http' | 'tcp' | 'exec' {
  return config.http ? 'http' : config.tcp ? 'tcp' : 'exec'
}

function periodOf(config: CheckConfig): number {
  return durationOf(config.period, 10_000)
}

function thresholdOf(config: CheckConfig): number {
  return config.threshold ?? 3
}

function durationOf(text: string | undefined, fallbackMs: number): number {
  return text === undefined ? fallbackMs : (parseGoDuration(text) ?? fallbackMs)
}

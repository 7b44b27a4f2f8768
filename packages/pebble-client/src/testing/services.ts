/**
 * The service manager: real processes started, watched, backed off and stopped as Pebble's
 * servstate does (contract §5).
 */
import type { ChildProcess } from 'node:child_process'
import { constants } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { parseGoDuration } from '../duration.js'
import type { Layer, ServiceConfig } from '../layer.js'
import {
  TaskFailure,
  type ChangeRecord,
  type ChangeStore,
  type TaskRecord,
  type TaskStep,
} from './changes.js'
import { killGroup } from './process-env.js'
import { launchServiceProcess } from './service-process.js'
import { toLanes } from './service-order.js'

/** Timings and effects the manager needs; defaults are Pebble's. */
export interface ServiceManagerOptions {
  changes: ChangeStore
  plan: () => Layer
  now: () => Date
  /** A start succeeds only if the process lives this long (§5.3; Pebble: 1000). */
  okayDelayMs: number
  /** After SIGKILL, how long before a stop fails (§5.2; Pebble: 5000). */
  stopFailDelayMs: number
  /** Source of backoff jitter in [0, 1). */
  random: () => number
  environment: Readonly<Record<string, string | undefined>>
  /** A `shutdown` action fired (§5.3); the daemon should exit with this code. */
  onShutdown: (exitCode: number, reason: string) => void
}

type State = 'starting' | 'running' | 'terminating' | 'killing' | 'stopped' | 'backoff' | 'exited'

interface ServiceRecord {
  name: string
  config: ServiceConfig
  state: State
  exitCode?: number
  child?: ChildProcess
  exited?: Promise<void>
  currentSince: Date
  startedAt: number
  backoffCount: number
  backoffTimer?: NodeJS.Timeout
  output: string[]
  /** Wakes a start task waiting out its okay delay. */
  onEarlyEnd?: (reason: 'exited' | 'stopped' | 'aborted') => void
}

const OUTPUT_LINES = 20

/** Runs the plan's services for one daemon. */
export class ServiceManager {
  private readonly records = new Map<string, ServiceRecord>()
  private readonly processGroups = new Set<number>()

  constructor(private readonly options: ServiceManagerOptions) {}

  /** Services in the plan as `GET /v1/services` lists them (§5.1). */
  infos(names: readonly string[] | undefined): Array<Record<string, unknown>> {
    const services = this.options.plan().services ?? {}
    return Object.keys(services)
      .filter((name) => !names || names.length === 0 || names.includes(name))
      .sort()
      .map((name) => {
        const record = this.records.get(name)
        return {
          name,
          startup: services[name]?.startup === 'enabled' ? 'enabled' : 'disabled',
          current: record ? statusOf(record) : 'inactive',
          ...(record ? { 'current-since': record.currentSince.toISOString() } : {}),
        }
      })
  }

  /** Services with `startup: enabled`, for autostart and replan. */
  enabledServices(): string[] {
    return Object.entries(this.options.plan().services ?? {})
      .filter(([, service]) => service.startup === 'enabled')
      .map(([name]) => name)
  }

  /** Names that would restart on replan: run before, and config now differs or is gone (§5.2). */
  changedServices(): string[] {
    const services = this.options.plan().services ?? {}
    return [...this.records.values()]
      .filter((record) => !isDeepStrictEqual(services[record.name], record.config))
      .map((record) => record.name)
  }

  /**
   * Adds stop then start tasks to a change and runs them in the background: lanes in parallel,
   * every start after every stop (a failed stop holds the starts), as Pebble does (§5.2).
   */
  run(change: ChangeRecord, stop: readonly string[], start: readonly string[]): void {
    const { changes } = this.options
    const services = this.options.plan().services ?? {}
    const stopLanes = toLanes(stop, services).map((lane) =>
      lane.map((name): TaskStep => {
        const task = changes.addTask(change, 'stop', `Stop service "${name}"`)
        return { task, run: () => this.stopService(name, task) }
      }),
    )
    const startLanes = toLanes(start, services).map((lane) =>
      lane.map((name): TaskStep => {
        const task = changes.addTask(change, 'start', `Start service "${name}"`)
        // Aborting a start still in its okay delay kills the process (§6.1).
        const abort = () => this.records.get(name)?.onEarlyEnd?.('aborted')
        return { task, run: () => this.startService(name, task), abort }
      }),
    )
    void (async () => {
      const stopped = await Promise.all(
        stopLanes.map((lane) => changes.runSequential(change, lane)),
      )
      if (!stopped.every(Boolean)) {
        for (const { task } of startLanes.flat()) changes.setStatus(change, task, 'Hold')
        return
      }
      await Promise.all(startLanes.map((lane) => changes.runSequential(change, lane)))
    })()
  }

  /**
   * Sends a signal to the main process of each running service (not its group, as Pebble);
   * returns one error per service it could not signal (§11).
   */
  signal(signal: string, names: readonly string[]): string[] {
    const errors: string[] = []
    for (const name of names) {
      const record = this.records.get(name)
      const pid = record?.child?.pid
      if (pid === undefined || !record || !['starting', 'running'].includes(record.state)) {
        errors.push(`cannot send signal to "${name}": service is not running`)
      } else if (!/^SIG[A-Z0-9]+$/.test(signal) || !Object.hasOwn(constants.signals, signal)) {
        errors.push(`cannot send signal to "${name}": invalid signal name "${signal}"`)
      } else {
        process.kill(pid, signal as NodeJS.Signals)
      }
    }
    return errors
  }

  /** Restarts a running service for `on-check-failure: restart` (§7). */
  restartForCheck(name: string): void {
    const record = this.records.get(name)
    if (record?.child?.pid && ['starting', 'running'].includes(record.state)) {
      killGroup(record.child.pid, 'SIGTERM')
    }
  }

  /** Stops everything, as the daemon does on shutdown. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.records.values()].map(async (record) => {
        clearTimeout(record.backoffTimer)
        if (record.state === 'backoff') this.setState(record, 'stopped')
        if (!record.child?.pid || !record.exited) return
        const { exited } = record
        if (['starting', 'running'].includes(record.state)) this.setState(record, 'terminating')
        killGroup(record.child.pid, 'SIGTERM')
        const timer = setTimeout(
          () => record.child?.pid && killGroup(record.child.pid, 'SIGKILL'),
          killDelayMs(record.config),
        )
        await exited
        clearTimeout(timer)
      }),
    )
    // Whatever a service left behind in its process group goes with the daemon.
    for (const pgid of this.processGroups) killGroup(pgid, 'SIGKILL')
  }

  private async startService(name: string, task: TaskRecord): Promise<void> {
    const config = this.options.plan().services?.[name]
    if (!config) throw new TaskFailure(`cannot start service: service "${name}" does not exist`)
    let record = this.records.get(name)
    if (record && (record.state === 'starting' || record.state === 'running')) {
      this.options.changes.log(task, 'INFO', `Service "${name}" already started.`)
      return
    }
    if (record?.exited && (record.state === 'terminating' || record.state === 'killing'))
      await record.exited
    if (record) {
      clearTimeout(record.backoffTimer)
      record.backoffCount = 0
    }
    record = this.spawnService(name, structuredClone(config))
    const outcome = await new Promise<'okay' | 'exited' | 'stopped' | 'aborted'>((resolve) => {
      const timer = setTimeout(() => resolve('okay'), this.options.okayDelayMs)
      ;(record as ServiceRecord).onEarlyEnd = (reason) => {
        clearTimeout(timer)
        resolve(reason)
      }
    })
    delete record.onEarlyEnd
    if (outcome === 'okay') {
      if (record.state === 'starting') this.setState(record, 'running')
      return
    }
    if (outcome === 'stopped')
      throw new TaskFailure('service start attempt: stopped before the 1s okay delay')
    if (outcome === 'aborted') {
      const pid = record.child?.pid
      this.setState(record, 'killing')
      if (pid !== undefined) killGroup(pid, 'SIGKILL')
      await record.exited
      throw new TaskFailure('start aborted, sent SIGKILL to process')
    }
    if (record.output.length > 0) {
      const lines = record.output.map((line) => `    ${line}`).join('\n')
      this.options.changes.log(task, 'INFO', `Most recent service output:\n${lines}`)
    }
    const action = exitAction(config, record.exitCode ?? -1)
    throw new TaskFailure(
      `service start attempt: exited quickly with code ${record.exitCode ?? -1}, will ${action}`,
    )
  }

  /** Spawns the process; a failure here fails the task at once (§5.3 "Command-not-found"). */
  private spawnService(name: string, config: ServiceConfig): ServiceRecord {
    // Runs only on output events, which come after the record below exists.
    const capture = (chunk: Buffer) => {
      const lines = chunk.toString('utf8').split('\n')
      record.output.push(...lines.filter((line) => line !== ''))
      record.output.splice(0, Math.max(0, record.output.length - OUTPUT_LINES))
    }
    const { child, exited } = launchServiceProcess(config, this.options.environment, capture)
    if (child.pid !== undefined) this.processGroups.add(child.pid)
    const record: ServiceRecord = this.records.get(name) ?? {
      name,
      config,
      state: 'starting' as State,
      currentSince: this.options.now(),
      startedAt: Date.now(),
      backoffCount: 0,
      output: [],
    }
    record.config = config
    record.child = child
    record.startedAt = Date.now()
    record.output = []
    delete record.exitCode
    this.records.set(name, record)
    this.setState(record, 'starting')
    record.exited = exited.then(
      (code) => new Promise<void>((resolve) => this.onExit(record, child, code, resolve)),
    )
    return record
  }

  private onExit(
    record: ServiceRecord,
    child: ChildProcess,
    code: number,
    resolve: () => void,
  ): void {
    if (record.child !== child) return resolve()
    record.exitCode = code
    delete record.child
    if (record.state === 'terminating' || record.state === 'killing') {
      this.setState(record, 'stopped')
      record.onEarlyEnd?.('stopped')
      return resolve()
    }
    const action = exitAction(record.config, code)
    if (action === 'restart') {
      // A service that stayed up longer than the backoff limit starts its backoff afresh.
      if (Date.now() - record.startedAt >= durationOf(record.config['backoff-limit'], 30_000))
        record.backoffCount = 0
      const base =
        durationOf(record.config['backoff-delay'], 500) *
        (record.config['backoff-factor'] ?? 2) ** record.backoffCount
      const delay =
        Math.min(base, durationOf(record.config['backoff-limit'], 30_000)) *
        (1 + this.options.random() * 0.1)
      record.backoffCount++
      this.setState(record, 'backoff')
      record.backoffTimer = setTimeout(() => this.restartFromBackoff(record), delay)
    } else if (action === 'ignore') {
      this.setState(record, 'exited')
    } else {
      this.setState(record, 'exited')
      const failure = action === 'failure-shutdown' || (action === 'shutdown' && code !== 0)
      this.options.onShutdown(
        failure ? 10 : 0,
        `service "${record.name}" exited with code ${code}: ${action}`,
      )
    }
    record.onEarlyEnd?.('exited')
    resolve()
  }

  private restartFromBackoff(record: ServiceRecord): void {
    if (record.state !== 'backoff') return
    // Auto-restarts reuse the config the service was started with; only replan picks up a new one.
    const { config } = record
    try {
      this.spawnService(record.name, structuredClone(config))
    } catch {
      record.backoffCount++
      record.backoffTimer = setTimeout(
        () => this.restartFromBackoff(record),
        durationOf(config['backoff-limit'], 30_000),
      )
    }
  }

  private async stopService(name: string, task: TaskRecord): Promise<void> {
    const record = this.records.get(name)
    if (
      !record ||
      !['starting', 'running', 'backoff', 'terminating', 'killing'].includes(record.state)
    ) {
      this.options.changes.log(task, 'INFO', `Service "${name}" is not running.`)
      return
    }
    clearTimeout(record.backoffTimer)
    if (record.state === 'backoff') return this.setState(record, 'stopped')
    const pid = record.child?.pid
    const exited = record.exited ?? Promise.resolve()
    if (pid !== undefined && (record.state === 'starting' || record.state === 'running')) {
      this.setState(record, 'terminating')
      killGroup(pid, 'SIGTERM')
    }
    let killTimer: NodeJS.Timeout | undefined
    let failTimer: NodeJS.Timeout | undefined
    const failed = new Promise<boolean>((resolve) => {
      killTimer = setTimeout(() => {
        if (pid !== undefined && record.state === 'terminating') {
          this.setState(record, 'killing')
          killGroup(pid, 'SIGKILL')
        }
        failTimer = setTimeout(() => resolve(true), this.options.stopFailDelayMs)
      }, killDelayMs(record.config))
    })
    const stuck = await Promise.race([exited.then(() => false), failed])
    clearTimeout(killTimer)
    clearTimeout(failTimer)
    if (stuck)
      throw new TaskFailure('cannot stop service: process still running after SIGTERM and SIGKILL')
  }

  private setState(record: ServiceRecord, state: State): void {
    if (statusOf(record) !== statusOf({ ...record, state }))
      record.currentSince = this.options.now()
    record.state = state
  }
}

function statusOf(record: Pick<ServiceRecord, 'state' | 'exitCode'>): string {
  switch (record.state) {
    case 'starting':
    case 'running':
      return 'active'
    case 'backoff':
      return 'backoff'
    case 'exited':
      return record.exitCode === 0 ? 'inactive' : 'error'
    default:
      return 'inactive'
  }
}

function exitAction(config: ServiceConfig, code: number): string {
  return (code === 0 ? config['on-success'] : config['on-failure']) || 'restart'
}

function durationOf(text: string | undefined, fallbackMs: number): number {
  return text === undefined ? fallbackMs : (parseGoDuration(text) ?? fallbackMs)
}

function killDelayMs(config: ServiceConfig): number {
  return durationOf(config['kill-delay'], 5000)
}

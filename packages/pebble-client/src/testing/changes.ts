/**
 * Changes and tasks as Pebble's state engine exposes them (contract §6): sequential string IDs,
 * status derived from tasks, `err` built from failed tasks' ERROR logs, waiters on readiness.
 */

/** Task and change statuses (§6.2). */
export type Status =
  'Do' | 'Doing' | 'Done' | 'Abort' | 'Undo' | 'Undoing' | 'Undone' | 'Hold' | 'Error' | 'Wait'

const READY: ReadonlySet<Status> = new Set(['Done', 'Undone', 'Hold', 'Error'])
// A change's status is its tasks' status of highest priority (§6.2).
const PRIORITY: readonly Status[] = [
  'Abort',
  'Undoing',
  'Undo',
  'Doing',
  'Do',
  'Wait',
  'Error',
  'Undone',
  'Done',
  'Hold',
]

/** A task failure: its message becomes the task's ERROR log entry and part of `err`. */
export class TaskFailure extends Error {
  override readonly name = 'TaskFailure'
}

export interface TaskRecord {
  id: string
  kind: string
  summary: string
  status: Status
  log: string[]
  data?: Record<string, unknown>
  spawnTime: Date
  readyTime?: Date
}

export interface ChangeRecord {
  id: string
  kind: string
  summary: string
  tasks: TaskRecord[]
  spawnTime: Date
  readyTime?: Date
  /** Set for changes without tasks, which would otherwise be `Hold`. */
  fixedStatus?: Status
  data?: Record<string, unknown>
  /** The services a service change is for (Pebble's `service-names`, used by `?for=`). */
  serviceNames?: string[]
}

/** One step of a sequential change: the task and what doing it means. */
export interface TaskStep {
  task: TaskRecord
  run: () => Promise<void>
  /** Cancels `run` while it is in progress; it then fails the task. */
  abort?: () => void
}

/** Holds every change of one daemon, in memory. */
export class ChangeStore {
  private readonly changes = new Map<string, ChangeRecord>()
  private readonly waiters = new Map<string, Array<() => void>>()
  private readonly aborters = new Map<string, () => void>()
  private nextChangeId = 1
  private nextTaskId = 1

  constructor(private readonly now: () => Date) {}

  create(kind: string, summary: string, data?: Record<string, unknown>): ChangeRecord {
    const change: ChangeRecord = {
      id: String(this.nextChangeId++),
      kind,
      summary,
      tasks: [],
      spawnTime: this.now(),
      ...(data ? { data } : {}),
    }
    this.changes.set(change.id, change)
    return change
  }

  addTask(change: ChangeRecord, kind: string, summary: string): TaskRecord {
    const task: TaskRecord = {
      id: String(this.nextTaskId++),
      kind,
      summary,
      status: 'Do',
      log: [],
      spawnTime: this.now(),
    }
    change.tasks.push(task)
    return task
  }

  get(id: string): ChangeRecord | undefined {
    return this.changes.get(id)
  }

  all(): ChangeRecord[] {
    return [...this.changes.values()]
  }

  findTask(taskId: string): { change: ChangeRecord; task: TaskRecord } | undefined {
    for (const change of this.changes.values()) {
      const task = change.tasks.find((candidate) => candidate.id === taskId)
      if (task) return { change, task }
    }
    return undefined
  }

  status(change: ChangeRecord): Status {
    if (change.tasks.length === 0) return change.fixedStatus ?? 'Hold'
    const present = new Set(change.tasks.map((task) => task.status))
    return PRIORITY.find((status) => present.has(status)) ?? 'Hold'
  }

  isReady(change: ChangeRecord): boolean {
    return READY.has(this.status(change))
  }

  /** Marks a task-less change finished (the "Replan - no services" case, §5.2). */
  finishEmpty(change: ChangeRecord, status: Status = 'Done'): void {
    change.fixedStatus = status
    this.settle(change)
  }

  log(task: TaskRecord, level: 'INFO' | 'ERROR', message: string): void {
    task.log.push(`${this.now().toISOString()} ${level} ${message}`)
  }

  setStatus(change: ChangeRecord, task: TaskRecord, status: Status): void {
    task.status = status
    if (READY.has(status) || status === 'Abort') task.readyTime ??= this.now()
    this.settle(change)
  }

  /** Fails a task: ERROR log entry, status `Error` (§6.2). */
  fail(change: ChangeRecord, task: TaskRecord, message: string): void {
    this.log(task, 'ERROR', message)
    this.setStatus(change, task, 'Error')
  }

  /**
   * Runs one lane: steps one after another; the first failure leaves the rest on `Hold`, as
   * Pebble aborts the other tasks of a failed lane (§6.2). Resolves whether all were done.
   */
  async runSequential(change: ChangeRecord, steps: readonly TaskStep[]): Promise<boolean> {
    for (const [index, { task, run, abort }] of steps.entries()) {
      if (task.status !== 'Do') return false // held by an abort
      this.setStatus(change, task, 'Doing')
      if (abort) this.aborters.set(task.id, abort)
      try {
        await run()
        this.setStatus(change, task, 'Done')
      } catch (error) {
        this.aborters.delete(task.id)
        const message =
          error instanceof TaskFailure ? error.message : `internal error: ${String(error)}`
        this.fail(change, task, message)
        for (const rest of steps.slice(index + 1)) this.setStatus(change, rest.task, 'Hold')
        return false
      }
      this.aborters.delete(task.id)
    }
    return true
  }

  /**
   * `POST /v1/changes/{id}` abort (§6.1): tasks not started are held, tasks in progress that can
   * be cancelled go to `Abort` until their handler fails them. Returns false with nothing pending.
   */
  abort(change: ChangeRecord): boolean {
    const waiting = change.tasks.filter((task) => task.status === 'Do')
    const running = change.tasks.filter(
      (task) => task.status === 'Doing' && this.aborters.has(task.id),
    )
    if (this.isReady(change) || waiting.length + running.length === 0) return false
    for (const task of waiting) this.setStatus(change, task, 'Hold')
    for (const task of running) {
      this.setStatus(change, task, 'Abort')
      this.aborters.get(task.id)?.()
    }
    return true
  }

  /** Resolves when the change is ready; `false` if `timeoutMs` passes first. */
  wait(change: ChangeRecord, timeoutMs: number | undefined): Promise<boolean> {
    if (this.isReady(change)) return Promise.resolve(true)
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const done = () => {
        clearTimeout(timer)
        resolve(true)
      }
      const list = this.waiters.get(change.id) ?? []
      list.push(done)
      this.waiters.set(change.id, list)
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(() => {
          const remaining = (this.waiters.get(change.id) ?? []).filter((waiter) => waiter !== done)
          this.waiters.set(change.id, remaining)
          resolve(false)
        }, timeoutMs)
        timer.unref()
      }
    })
  }

  /** The change as `GET /v1/changes/{id}` renders it (§6.2). */
  toJSON(change: ChangeRecord): Record<string, unknown> {
    const status = this.status(change)
    const ready = READY.has(status)
    const err = status === 'Error' ? this.errText(change) : undefined
    return {
      id: change.id,
      kind: change.kind,
      summary: change.summary,
      status,
      ...(change.tasks.length > 0 ? { tasks: change.tasks.map((task) => taskJSON(task)) } : {}),
      ready,
      ...(err === undefined ? {} : { err }),
      'spawn-time': change.spawnTime.toISOString(),
      ...(ready && change.readyTime ? { 'ready-time': change.readyTime.toISOString() } : {}),
      ...(change.data ? { data: change.data } : {}),
    }
  }

  private errText(change: ChangeRecord): string {
    const lines = change.tasks.flatMap((task) =>
      task.status !== 'Error'
        ? []
        : task.log
            .filter((entry) => entry.split(' ')[1] === 'ERROR')
            .map((entry) => `- ${task.summary} (${entry.split(' ').slice(2).join(' ')})`),
    )
    return `cannot perform the following tasks:\n${lines.join('\n')}`
  }

  private settle(change: ChangeRecord): void {
    if (!this.isReady(change)) {
      delete change.readyTime
      return
    }
    change.readyTime ??= this.now()
    const waiters = this.waiters.get(change.id) ?? []
    this.waiters.delete(change.id)
    for (const waiter of waiters) waiter()
  }
}

function taskJSON(task: TaskRecord): Record<string, unknown> {
  return {
    id: task.id,
    kind: task.kind,
    summary: task.summary,
    status: task.status,
    ...(task.log.length > 0 ? { log: task.log.slice(-10) } : {}),
    progress: { label: '', done: task.status === 'Do' ? 0 : 1, total: 1 },
    'spawn-time': task.spawnTime.toISOString(),
    ...(task.readyTime ? { 'ready-time': task.readyTime.toISOString() } : {}),
    ...(task.data ? { data: task.data } : {}),
  }
}

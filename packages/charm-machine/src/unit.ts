import type { CharmEvent, EffectResult, JujuEvent } from './events.js'
import { parseJujuEvent } from './events.js'
import { runEffect } from './effects.js'
import type { CharmSnapshot, EffectRequest, LogEntry } from './log.js'
import { applyEvent, entryForEvent, initialSnapshot, replayLog } from './log.js'
import type { CharmMachine } from './machine.js'
import { fromSnapshotRecord, toSnapshotRecord } from './snapshot.js'
import type { UnitStatus } from './status.js'
import { lifecycleState, statusOf } from './status.js'
import type { CharmStore, StoredLog } from './store.js'

/** One persisted step of a dispatch: the event, the states around it, the effects it asked for. */
export interface DispatchStep {
  seq: number
  event: CharmEvent
  from: string
  to: string
  effects: string[]
  status: UnitStatus
  snapshot: CharmSnapshot
}

/** What {@link Unit.dispatch} returns. */
export interface DispatchResult {
  steps: DispatchStep[]
  snapshot: CharmSnapshot
  status: UnitStatus
}

/** Options of {@link Unit.dispatch}. */
export interface DispatchOptions {
  /** Called after each step is persisted and before its effects run (the runtime sets statuses here). */
  onStep?: (step: DispatchStep) => void | Promise<void>
}

/** Raised when a Juju event fails validation; nothing is written. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError'
}

/** A rehydrated unit, ready to take one Juju event. */
export interface Unit {
  readonly snapshot: CharmSnapshot
  readonly seq: number
  readonly status: UnitStatus
  /** Why the stored state was unusable; the next dispatch records a `charm.recovered` entry. */
  readonly recovery: string | null
  /** Problems found and worked around without losing state (e.g. rebuilt from the log). */
  readonly notes: readonly string[]
  dispatch(event: JujuEvent, options?: DispatchOptions): Promise<DispatchResult>
}

function checkSequence(entries: readonly LogEntry[], after: number): void {
  let expected = after + 1
  for (const entry of entries) {
    if (entry.seq !== expected && entry.event.type !== 'charm.recovered') {
      throw new Error(`log sequence jumps from ${expected - 1} to ${entry.seq}`)
    }
    expected = entry.seq + 1
  }
}

function replayWhole(
  machine: CharmMachine,
  log: StoredLog,
): { snapshot: CharmSnapshot; seq: number } {
  if (log.problems.length > 0) throw new Error(log.problems[0])
  const first = log.entries[0]
  if (first !== undefined && first.seq !== 1 && first.event.type !== 'charm.recovered') {
    throw new Error(`log starts at seq ${first.seq}`)
  }
  checkSequence(log.entries, (first?.seq ?? 1) - 1)
  return replayLog(machine, log.entries)
}

/**
 * Rehydrates a unit: its checkpoint plus the entries after it, or a replay of the whole log when
 * the checkpoint is missing or from another machine version. When neither can be trusted, the
 * unit starts from the initial state and its next dispatch records why (`charm.recovered`).
 * Never throws on damaged data.
 *
 * @example
 * ```ts
 * const unit = await openUnit({ machine, store: new FileStore({ directory }) })
 * const result = await unit.dispatch(event)
 * ```
 */
export async function openUnit(options: {
  machine: CharmMachine
  store: CharmStore
}): Promise<Unit> {
  const { machine, store } = options
  const notes: string[] = []
  let recovery: string | null = null
  let state: { snapshot: CharmSnapshot; seq: number } | null = null
  const stored = await store.load()
  notes.push(...(stored.notes ?? []))
  if (stored.snapshot !== null && stored.problems.length === 0) {
    try {
      const base = fromSnapshotRecord(machine, stored.snapshot)
      checkSequence(stored.entries, base.seq)
      state = replayLog(machine, stored.entries, base.snapshot)
      state = { snapshot: state.snapshot, seq: stored.entries.at(-1)?.seq ?? base.seq }
    } catch (error) {
      notes.push((error as Error).message)
    }
  } else {
    notes.push(...stored.problems)
  }
  if (state === null) {
    try {
      const log =
        stored.snapshot === null && stored.problems.length === 0 ? stored : await store.readLog()
      state = replayWhole(machine, log)
      if (stored.snapshot !== null || stored.problems.length > 0)
        notes.push('rebuilt the state by replaying the log')
    } catch (error) {
      recovery = [...notes, (error as Error).message].join('; ')
      const log = await store.readLog().catch(() => ({ entries: [] as LogEntry[] }))
      const lastSeq = log.entries.reduce((max, entry) => Math.max(max, entry.seq), 0)
      state = { snapshot: initialSnapshot(machine), seq: lastSeq }
    }
  }
  return createUnit(machine, store, state.snapshot, state.seq, recovery, notes)
}

function createUnit(
  machine: CharmMachine,
  store: CharmStore,
  initial: CharmSnapshot,
  initialSeq: number,
  recovery: string | null,
  notes: string[],
): Unit {
  let snapshot = initial
  let seq = initialSeq
  let pendingRecovery = recovery

  async function record(
    event: CharmEvent,
    at: string,
    steps: DispatchStep[],
    onStep: DispatchOptions['onStep'],
  ) {
    const entry = entryForEvent(seq + 1, event, at)
    await store.append(entry)
    const from = lifecycleState(snapshot.value)
    const next = applyEvent(machine, snapshot, event)
    snapshot = next.snapshot
    seq = entry.seq
    await store.saveSnapshot(toSnapshotRecord(machine, snapshot, seq))
    const step: DispatchStep = {
      seq,
      event,
      from,
      to: lifecycleState(snapshot.value),
      effects: next.effects.map((effect) => effect.id),
      status: statusOf(snapshot.value, snapshot.context),
      snapshot,
    }
    steps.push(step)
    await onStep?.(step)
    return next
  }

  return {
    get snapshot() {
      return snapshot
    },
    get seq() {
      return seq
    },
    get status() {
      return statusOf(snapshot.value, snapshot.context)
    },
    get recovery() {
      return pendingRecovery
    },
    notes,
    async dispatch(input, options = {}) {
      const parsed = parseJujuEvent(input)
      if (!parsed.success) throw new InvalidEventError(`invalid event: ${parsed.message}`)
      const event = parsed.event
      const steps: DispatchStep[] = []
      if (pendingRecovery !== null) {
        await store.quarantine(pendingRecovery)
        await record(
          { type: 'charm.recovered', reason: pendingRecovery },
          event.now,
          steps,
          options.onStep,
        )
        pendingRecovery = null
      }
      let queue: EffectRequest[] = (await record(event, event.now, steps, options.onStep)).effects
      while (queue.length > 0) {
        const [request, ...rest] = queue as [EffectRequest, ...EffectRequest[]]
        const result: EffectResult = await runEffect(machine, request)
        const next = await record(result, event.now, steps, options.onStep)
        queue = [...rest.filter((queued) => !next.stopped.includes(queued.id)), ...next.effects]
      }
      return { steps, snapshot, status: statusOf(snapshot.value, snapshot.context) }
    },
  }
}

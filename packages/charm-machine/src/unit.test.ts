import { describe, expect, it } from 'vitest'
import { juju, readyFacts } from './__fixtures__/facts.js'
import type { CharmEffects, CharmStore, LogEntry, SnapshotRecord } from './index.js'
import {
  InvalidEventError,
  MemoryStore,
  charmMachine,
  machineVersion,
  openUnit,
  provideEffects,
  replayLog,
} from './index.js'

function recordingEffects(journal: string[], overrides: Partial<CharmEffects> = {}) {
  return provideEffects(charmMachine, {
    validateConfig: async () => {
      journal.push('effect:validateConfig')
      return { errors: [] }
    },
    runMigrations: async () => {
      journal.push('effect:runMigrations')
    },
    restartWorkload: async () => {
      journal.push('effect:restartWorkload')
    },
    ...overrides,
  })
}

/** A store that writes every call into the same journal as the effects. */
class JournalStore extends MemoryStore {
  constructor(readonly journal: string[]) {
    super()
  }
  override async append(entry: LogEntry) {
    this.journal.push(`append:${entry.event.type}`)
    await super.append(entry)
  }
  override async saveSnapshot(record: SnapshotRecord) {
    this.journal.push(`persist:${record.seq}`)
    await super.saveSnapshot(record)
  }
}

async function activeStore(): Promise<MemoryStore> {
  const store = new MemoryStore()
  const unit = await openUnit({ machine: recordingEffects([]), store })
  await unit.dispatch(juju('juju.config-changed'))
  return store
}

describe('openUnit and dispatch', () => {
  it('appends the event and persists the state before running any effect', async () => {
    const journal: string[] = []
    const unit = await openUnit({
      machine: recordingEffects(journal),
      store: new JournalStore(journal),
    })
    await unit.dispatch(juju('juju.config-changed'))
    expect(journal).toEqual([
      'append:juju.config-changed',
      'persist:1',
      'effect:validateConfig',
      'append:xstate.done.actor.validateConfig',
      'persist:2',
      'effect:runMigrations',
      'append:xstate.done.actor.runMigrations',
      'persist:3',
      'effect:restartWorkload',
      'append:xstate.done.actor.restartWorkload',
      'persist:4',
    ])
  })

  it('records the facts and time with each Juju event and null facts with effect results', async () => {
    const store = await activeStore()
    expect(store.entries[0]).toMatchObject({
      seq: 1,
      at: '2026-01-01T00:00:00.000Z',
      facts: readyFacts(),
    })
    expect(store.entries[0]?.event).toEqual({ type: 'juju.config-changed' })
    expect(store.entries[1]).toMatchObject({
      seq: 2,
      facts: null,
      event: { type: 'xstate.done.actor.validateConfig', output: { errors: [] } },
    })
  })

  it('records a failing effect as an error event with its message', async () => {
    const store = new MemoryStore()
    const machine = recordingEffects([], {
      runMigrations: async () => {
        throw new Error('migration failed: table locked')
      },
    })
    const result = await (await openUnit({ machine, store })).dispatch(juju('juju.config-changed'))
    expect(store.entries.at(-1)?.event).toEqual({
      type: 'xstate.error.actor.runMigrations',
      error: { message: 'migration failed: table locked' },
    })
    expect(result.status.name).toBe('blocked')
  })

  it('records an effect that was never provided as a failure instead of crashing', async () => {
    const store = new MemoryStore()
    const result = await (
      await openUnit({ machine: charmMachine, store })
    ).dispatch(juju('juju.config-changed'))
    expect(result.status).toEqual({
      name: 'blocked',
      message: 'config validation failed: effect not provided: validateConfig',
    })
  })

  it('treats an effect output of the wrong shape as a failure', async () => {
    const machine = recordingEffects([], {
      validateConfig: async () => ({ errors: 'nope' }) as never,
    })
    const result = await (
      await openUnit({ machine, store: new MemoryStore() })
    ).dispatch(juju('juju.config-changed'))
    expect(result.status.message).toMatch(
      /^config validation failed: validateConfig returned an invalid output/,
    )
  })

  it('rejects an invalid event with a one-line reason and writes nothing', async () => {
    const store = new MemoryStore()
    const unit = await openUnit({ machine: recordingEffects([]), store })
    const bad = { ...juju('juju.config-changed'), now: 'yesterday' }
    await expect(unit.dispatch(bad)).rejects.toBeInstanceOf(InvalidEventError)
    await expect(unit.dispatch(bad)).rejects.toThrow(/^invalid event: [^\n]+$/)
    expect(store.entries).toEqual([])
  })

  it('continues from the stored checkpoint in a new process', async () => {
    const store = await activeStore()
    const unit = await openUnit({ machine: recordingEffects([]), store })
    expect(unit.seq).toBe(4)
    expect(unit.status).toEqual({ name: 'active', message: '' })
    const result = await unit.dispatch(juju('juju.update-status'))
    expect(result.steps.map((step) => step.seq)).toEqual([5])
  })
})

describe('replay', () => {
  it('reproduces the live state exactly from the log and runs no effect', async () => {
    const journal: string[] = []
    const store = new MemoryStore()
    const machine = recordingEffects(journal, {
      restartWorkload: async () => {
        throw new Error('port in use')
      },
    })
    for (const type of ['juju.install', 'juju.config-changed', 'juju.update-status'] as const) {
      await (await openUnit({ machine, store })).dispatch(juju(type))
    }
    const effectsRun = journal.length
    const replayed = replayLog(machine, store.entries)
    expect(journal.length).toBe(effectsRun)
    expect(replayed.seq).toBe(store.snapshot?.seq)
    expect(replayed.snapshot.value).toEqual(store.snapshot?.value)
    expect(replayed.snapshot.context).toEqual(store.snapshot?.context)
  })

  it('gives the same state when the same log is replayed twice', async () => {
    const store = await activeStore()
    const first = replayLog(charmMachine, store.entries).snapshot
    const second = replayLog(charmMachine, store.entries).snapshot
    expect(JSON.stringify([second.value, second.context])).toBe(
      JSON.stringify([first.value, first.context]),
    )
  })
})

describe('recovery', () => {
  async function reopen(store: CharmStore) {
    return openUnit({ machine: recordingEffects([]), store })
  }

  it('rebuilds from the log when the checkpoint is from another machine version', async () => {
    const store = await activeStore()
    store.snapshot = { ...store.snapshot!, machineVersion: '0-old' }
    const unit = await reopen(store)
    expect(unit.recovery).toBeNull()
    expect(unit.status).toEqual({ name: 'active', message: '' })
    expect(unit.notes.join(' ')).toMatch(/snapshot is for machine 0-old/)
  })

  it('rebuilds from the log when the checkpoint names an unknown state', async () => {
    const store = await activeStore()
    store.snapshot = { ...store.snapshot!, value: { lifecycle: 'flying', tasks: 'idle' } }
    const unit = await reopen(store)
    expect(unit.recovery).toBeNull()
    expect(unit.status.name).toBe('active')
  })

  it('recovers from the current facts when log and checkpoint are both unusable, and records why', async () => {
    const store = await activeStore()
    store.snapshot = { ...store.snapshot!, context: { broken: true } as never }
    store.entries.splice(1, 1)
    const unit = await reopen(store)
    expect(unit.recovery).toMatch(/log sequence jumps from 1 to 3/)
    const result = await unit.dispatch(juju('juju.update-status'))
    expect(result.steps[0]?.event).toMatchObject({ type: 'charm.recovered' })
    expect(result.status).toEqual({ name: 'active', message: '' })
    expect(store.quarantined).toHaveLength(1)
    expect(store.entries[0]).toMatchObject({ seq: 5, event: { type: 'charm.recovered' } })
  })

  it('replays a log that starts with a recovery marker to the same state', async () => {
    const store = await activeStore()
    store.snapshot = null
    store.entries.splice(0, 1)
    await (await reopen(store)).dispatch(juju('juju.update-status'))
    const replayed = replayLog(charmMachine, store.entries).snapshot
    const checkpoint = store.snapshot as SnapshotRecord | null
    expect(replayed.value).toEqual(checkpoint?.value)
    expect(replayed.context).toEqual(checkpoint?.context)
  })

  it('tags checkpoints with the machine version', async () => {
    const store = await activeStore()
    expect(store.snapshot?.machineVersion).toBe(machineVersion(charmMachine))
    expect(machineVersion(recordingEffects([]))).toBe(machineVersion(charmMachine))
  })
})

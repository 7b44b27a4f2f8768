import type { DispatchStep, JujuEvent } from '../index.js'
import { MemoryStore } from '../index.js'
import type { CharmDefinition, HookTools } from '../juju/index.js'
import { runHook } from '../juju/index.js'
import type { CharmMeta } from './consistency.js'
import { InconsistentStateError, checkConsistency } from './consistency.js'
import type { HarnessEvent } from './events.js'
import type { ExecRecord, PebbleCall } from './fake-pebble.js'
import { FakePebble } from './fake-pebble.js'
import type { ToolRecords } from './fake-tools.js'
import { createFakeTools } from './fake-tools.js'
import type { State } from './state.js'

/** Options of {@link Context}. */
export interface ContextOptions {
  appName?: string
  unitId?: number
  modelName?: string
  modelUuid?: string
  jujuVersion?: string
  /** The clock of every run (the event's `now`). Default: a fixed 2026-01-01T00:00:00Z. */
  now?: () => Date
  /** Metadata to check states against. */
  meta?: CharmMeta
  /** Skip the consistency check (for deliberately odd states). */
  skipConsistencyChecks?: boolean
  /**
   * Fault injection: wraps the in-memory hook tools of every run, e.g. to make one call fail
   * as a lost controller connection does (`ERROR connection is shut down`).
   */
  wrapTools?: (tools: HookTools) => HookTools
}

/** Everything one run produced, besides the new {@link State}. */
export interface RunOutput extends ToolRecords {
  state: State
  exitCode: number
  /** The one-line failure, when the hook failed. */
  error?: string | undefined
  /** The typed event the runtime derived. */
  event?: JujuEvent | undefined
  steps: DispatchStep[]
  pebbleCalls: PebbleCall[]
  execHistory: Record<string, ExecRecord[]>
}

/**
 * Scenario's model for a charm built on the machine: `State` in → event → `State` out, running
 * the real `/juju` runtime against in-memory hook tools, fake Pebble and a memory store seeded
 * from `state.storedLog`. A failed hook discards relation, secret, port and controller-state
 * writes (as Juju does) but keeps statuses, and sets `error` `hook failed: "<hook>"`.
 *
 * @example
 * ```ts
 * const ctx = new Context(charm, { appName: 'webhook-router' })
 * const out = await ctx.run(on.configChanged(), state)
 * expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
 * ```
 */
export class Context {
  readonly appName: string
  readonly unitName: string
  readonly #options: ContextOptions

  constructor(
    readonly definition: CharmDefinition,
    options: ContextOptions = {},
  ) {
    this.#options = options
    this.appName = options.appName ?? 'app'
    this.unitName = `${this.appName}/${options.unitId ?? 0}`
  }

  #env(event: HarnessEvent, state: State): Record<string, string> {
    const env: Record<string, string> = {
      JUJU_UNIT_NAME: this.unitName,
      JUJU_MODEL_NAME: this.#options.modelName ?? 'test-model',
      JUJU_MODEL_UUID: this.#options.modelUuid ?? '00000000-0000-4000-8000-000000000000',
      JUJU_VERSION: this.#options.jujuVersion ?? '3.6.14',
      JUJU_CHARM_DIR: '/charm',
      JUJU_CONTEXT_ID: `${this.unitName}-harness`,
    }
    if (event.kind === 'action') {
      return {
        ...env,
        JUJU_DISPATCH_PATH: `actions/${event.name}`,
        JUJU_HOOK_NAME: '',
        JUJU_ACTION_NAME: event.name,
        JUJU_ACTION_UUID: event.id,
      }
    }
    Object.assign(env, { JUJU_DISPATCH_PATH: `hooks/${event.name}`, JUJU_HOOK_NAME: event.name })
    const found = state.relations.find((candidate) => candidate.id === event.relationId)
    if (found !== undefined) {
      env['JUJU_RELATION'] = found.endpoint
      env['JUJU_RELATION_ID'] = `${found.endpoint}:${found.id}`
      env['JUJU_REMOTE_APP'] = found.peer === true ? this.appName : found.remoteApp
      if (/-relation-(joined|changed|departed)$/.test(event.name)) {
        env['JUJU_REMOTE_UNIT'] = event.remoteUnit ?? Object.keys(found.remoteUnitsData)[0] ?? ''
      }
      if (event.name.endsWith('-relation-departed'))
        env['JUJU_DEPARTING_UNIT'] = event.departingUnit ?? env['JUJU_REMOTE_UNIT'] ?? ''
    }
    if (event.container !== undefined) env['JUJU_WORKLOAD_NAME'] = event.container
    if (event.secretId !== undefined) env['JUJU_SECRET_ID'] = event.secretId
    if (event.secretLabel !== undefined) env['JUJU_SECRET_LABEL'] = event.secretLabel
    if (event.secretRevision !== undefined)
      env['JUJU_SECRET_REVISION'] = String(event.secretRevision)
    return env
  }

  /**
   * Runs one event against `input` (never mutated).
   *
   * @throws InconsistentStateError when the state and event are impossible.
   */
  async run(event: HarnessEvent, input: State): Promise<RunOutput> {
    if (this.#options.skipConsistencyChecks !== true) {
      const problems = checkConsistency(input, event, {
        definition: this.definition,
        unitName: this.unitName,
        meta: this.#options.meta,
      })
      if (problems.length > 0) throw new InconsistentStateError(problems)
    }
    const state = structuredClone(input)
    const records: ToolRecords = {
      logs: [],
      unitStatusHistory: [],
      appStatusHistory: [],
      actionResults: {},
      actionFailed: null,
      actionLogs: [],
      calls: [],
    }
    const env = this.#env(event, state)
    const fakeTools = createFakeTools(
      state,
      {
        appName: this.appName,
        unitName: this.unitName,
        modelUuid: env['JUJU_MODEL_UUID'] ?? '',
        actionParams: event.kind === 'action' ? event.params : {},
      },
      records,
    )
    const tools = this.#options.wrapTools?.(fakeTools) ?? fakeTools
    const pebbleCalls: PebbleCall[] = []
    const execHistory: Record<string, ExecRecord[]> = {}
    const pebbles = new Map<string, FakePebble>()
    const store = new MemoryStore(structuredClone(state.storedLog))
    const outcome = await runHook(this.definition, {
      env,
      tools,
      store,
      now: this.#options.now ?? (() => new Date('2026-01-01T00:00:00Z')),
      writeError: () => undefined,
      connectWorkload: (name) => {
        let pebble = pebbles.get(name)
        if (pebble === undefined) {
          const target = state.containers.find((candidate) => candidate.name === name)
          if (target === undefined)
            throw new Error(`harness: container ${name} is not in the state`)
          execHistory[name] = []
          pebble = new FakePebble(target, pebbleCalls, execHistory[name])
          pebbles.set(name, pebble)
        }
        return pebble
      },
    })
    state.storedLog = {
      entries: store.entries,
      snapshot: store.snapshot,
      ...(store.memo === null ? {} : { memo: store.memo }),
    }
    if (outcome.exitCode !== 0) {
      // Juju drops the buffered writes of a failed hook; statuses were immediate and stay.
      state.relations = structuredClone(input.relations)
      state.secrets = structuredClone(input.secrets)
      state.openedPorts = [...input.openedPorts]
      state.controllerState = { ...input.controllerState }
      if (event.kind === 'hook')
        state.unitStatus = { name: 'error', message: `hook failed: "${event.name}"` }
    }
    return {
      ...records,
      state,
      exitCode: outcome.exitCode,
      error: outcome.error,
      event: outcome.event,
      steps: outcome.result?.steps ?? [],
      pebbleCalls,
      execHistory,
    }
  }
}

import { join } from 'node:path'
import type { CharmEffects, CharmStore, DispatchResult, HookMemo, JujuEvent } from '../index.js'
import { FileStore, charmMachine, openUnit, provideEffects } from '../index.js'
import type { CharmDefinition, CharmRuntime } from './definition.js'
import { deriveEvent } from './derive-event.js'
import type { DispatchContext } from './env.js'
import { readDispatchContext } from './env.js'
import { HookToolError } from './errors.js'
import { readFacts } from './facts-reader.js'
import type { HookTools } from './hook-tools.js'
import { createHookTools, spawnToolRunner } from './hook-tools.js'
import { statusPublisher } from './status-memo.js'
import type { WorkloadClient } from './workload.js'

/** Options of {@link runHook}; every effect of the outside world can be injected. */
export interface RunHookOptions {
  env?: Record<string, string | undefined>
  tools?: HookTools
  /** Default: a {@link FileStore} in `$JUJU_CHARM_DIR/.charm-machine`. */
  store?: CharmStore
  /** Default: the definition's `connectWorkload`. The harness passes fakes here. */
  connectWorkload?: (container: string, context: DispatchContext) => WorkloadClient
  now?: () => Date
  /** Where the one-line failure message goes. Default: `process.stderr`. */
  writeError?: (line: string) => void
}

/** The outcome of one hook: its exit code and, when it ran, the dispatch result. */
export interface HookOutcome {
  exitCode: number
  context?: DispatchContext
  event?: JujuEvent
  result?: DispatchResult
  error?: string
}

function wrapRunAction(effects: Partial<CharmEffects>, tools: HookTools): Partial<CharmEffects> {
  const runAction = effects.runAction
  if (runAction === undefined) return effects
  return {
    ...effects,
    // Actions never error the unit: an expected failure is `action-fail` plus exit 0.
    runAction: async (input, context) => {
      try {
        const output = await runAction(input, context)
        if (output.failed !== undefined) await tools.actionFail(output.failed)
        return output
      } catch (error) {
        await tools
          .actionFail(error instanceof Error ? error.message : String(error))
          .catch(() => undefined)
        throw error
      }
    },
  }
}

/** The first hook-tool failure an effect met in this dispatch, which fails the hook. */
interface ToolFailure {
  error?: HookToolError
}

/**
 * Wraps every effect but `runAction` so that a hook-tool failure inside it (a relation read, a
 * `secret-get`, an `open-port` that Juju did not answer) is remembered: the dispatch then fails
 * the hook, which Juju retries, instead of the machine showing it as a config or workload
 * failure. Actions report their failures with `action-fail` (see {@link wrapRunAction}).
 */
function failHookOnToolError(
  effects: Partial<CharmEffects>,
  failure: ToolFailure,
): Partial<CharmEffects> {
  const wrapped: Partial<Record<keyof CharmEffects, unknown>> = { ...effects }
  for (const [name, effect] of Object.entries(effects)) {
    if (name === 'runAction' || typeof effect !== 'function') continue
    const run = effect as (...args: unknown[]) => Promise<unknown>
    wrapped[name as keyof CharmEffects] = async (...args: unknown[]) => {
      try {
        return await run(...args)
      } catch (error) {
        if (error instanceof HookToolError) failure.error ??= error
        throw error
      }
    }
  }
  return wrapped as Partial<CharmEffects>
}

/**
 * Runs one dispatch: environment → event → facts → transition → persist → effects, setting the
 * unit (and, on the leader, app) status after each persisted step when it differs from the one
 * shown (see {@link statusPublisher}). A store with memos carries what a successful dispatch
 * learnt to the next ({@link CharmRuntime.memo}). Never throws: failures come back as a
 * non-zero `exitCode` with a one-line `error`, which Juju shows as a hook error. A hook tool
 * that fails (other than a relation that is gone, or a secret not granted) fails the hook before
 * any status is set from what it could not read.
 *
 * @example
 * ```ts
 * // dist/charm.js, exec'd by the charm's `dispatch` script
 * const outcome = await runHook(charm)
 * process.exitCode = outcome.exitCode
 * ```
 */
export async function runHook(
  definition: CharmDefinition,
  options: RunHookOptions = {},
): Promise<HookOutcome> {
  const env = options.env ?? process.env
  const writeError = options.writeError ?? ((line: string) => process.stderr.write(`${line}\n`))
  let context: DispatchContext
  try {
    context = readDispatchContext(env)
  } catch (error) {
    const message = `charm-machine: ${(error as Error).message}`
    writeError(message)
    return { exitCode: 1, error: message }
  }
  const tools = options.tools ?? createHookTools(spawnToolRunner(env as NodeJS.ProcessEnv))
  const connect = options.connectWorkload ?? definition.connectWorkload
  const workloads = new Map<string, WorkloadClient>()
  const memo: HookMemo = {}
  const runtime: CharmRuntime = {
    context,
    tools,
    workload: (container) => {
      let client = workloads.get(container)
      if (client === undefined) {
        client = connect(container, context)
        workloads.set(container, client)
      }
      return client
    },
    log: (level, message) => tools.jujuLog(level, message).catch(() => undefined),
    memo,
  }
  const now = (options.now ?? (() => new Date()))().toISOString()
  try {
    const store =
      options.store ?? new FileStore({ directory: join(context.charmDir, '.charm-machine') })
    const toolFailure: ToolFailure = {}
    const effects = failHookOnToolError(definition.effects(runtime), toolFailure)
    const machine = provideEffects(charmMachine, wrapRunAction(effects, tools))
    const unit = await openUnit({ machine, store })
    const remembered = (await store.takeMemo?.()) ?? {}
    // A new charm may remember differently; it starts from nothing.
    if (context.name !== 'upgrade-charm') Object.assign(memo, remembered)
    for (const note of unit.notes) await runtime.log('WARNING', `charm-machine: ${note}`)
    if (unit.recovery !== null)
      await runtime.log('ERROR', `charm-machine: recovering from current facts: ${unit.recovery}`)
    await definition.beforeDispatch?.(runtime)
    const observed = await readFacts(definition, runtime)
    const body = await deriveEvent(definition, runtime, observed, unit.snapshot.context.ingressUrl)
    const event = { ...body, now, facts: observed.facts } as JujuEvent
    const publishStatus = statusPublisher({
      tools,
      memo,
      hook: context.name,
      leader: observed.facts.leader,
      log: runtime.log,
    })
    const result = await unit.dispatch(event, {
      onStep: async (step) => {
        // The step records the failed effect; it must not reach the unit's status.
        if (toolFailure.error !== undefined) throw toolFailure.error
        // A step that changes nothing has nothing to say in the debug log.
        if (step.from !== step.to || step.effects.length > 0)
          await runtime.log(
            'DEBUG',
            `charm-machine: #${step.seq} ${step.event.type}: ${step.from} -> ${step.to}`,
          )
        await publishStatus(step)
      },
    })
    // Only a lost hint if it cannot be kept: the next dispatch makes every call.
    await store.saveMemo?.(memo).catch(() => undefined)
    return { exitCode: 0, context, event, result }
  } catch (error) {
    const message = `charm-machine: ${context.kind} ${context.name} failed: ${(error as Error).message}`
    await runtime.log('ERROR', message)
    writeError(message)
    return { exitCode: 1, context, error: message }
  }
}

import * as v from 'valibot'
import { createActor, fromPromise, toPromise } from 'xstate'
import type { AnyActorLogic } from 'xstate'
import type {
  InitSecretStorageInput,
  InitSecretStorageOutput,
  RunActionInput,
  RunActionOutput,
  ValidateConfigInput,
  ValidateConfigOutput,
  WorkloadEffectInput,
} from './context.js'
import type { EffectName, EffectResult } from './events.js'
import type { EffectRequest } from './log.js'
import type { CharmMachine } from './machine.js'
import { issueLine } from './issues.js'

/** Context every effect receives besides its input. */
export interface EffectContext {
  /** Aborted when the effect's state is left. */
  signal: AbortSignal
}

/**
 * The effects a charm supplies, as plain async functions. Throwing (or rejecting) is how an effect
 * fails: the message becomes the reason in the unit status and in the log.
 */
export interface CharmEffects {
  validateConfig(input: ValidateConfigInput, context: EffectContext): Promise<ValidateConfigOutput>
  runMigrations(input: WorkloadEffectInput, context: EffectContext): Promise<unknown>
  restartWorkload(input: WorkloadEffectInput, context: EffectContext): Promise<unknown>
  stopWorkload(input: WorkloadEffectInput, context: EffectContext): Promise<unknown>
  initSecretStorage(
    input: InitSecretStorageInput,
    context: EffectContext,
  ): Promise<InitSecretStorageOutput>
  runAction(input: RunActionInput, context: EffectContext): Promise<RunActionOutput>
}

/**
 * Returns `machine` with the charm's effects provided (XState `provide`), each wrapped as a
 * promise actor. Effects left out keep the placeholder, which fails with `effect not provided`.
 *
 * @example
 * ```ts
 * const machine = provideEffects(charmMachine, {
 *   validateConfig: async ({ config }) => ({ errors: config['log-level'] ? [] : ['missing options: log-level'] }),
 *   runMigrations: async () => {},
 *   restartWorkload: async ({ facts }) => pebble.replan(),
 * })
 * ```
 */
export function provideEffects(
  machine: CharmMachine,
  effects: Partial<CharmEffects>,
): CharmMachine {
  const actors: Record<string, AnyActorLogic> = {}
  for (const [name, effect] of Object.entries(effects)) {
    if (typeof effect !== 'function') continue
    const run = effect as (input: unknown, context: EffectContext) => Promise<unknown>
    actors[name] = fromPromise(({ input, signal }) => run(input, { signal }))
  }
  return machine.provide({ actors } as Parameters<CharmMachine['provide']>[0])
}

const OUTPUT_SCHEMAS: Record<string, v.GenericSchema> = {
  validateConfig: v.strictObject({ errors: v.array(v.string()) }),
  initSecretStorage: v.strictObject({ ready: v.boolean() }),
  runAction: v.strictObject({ failed: v.optional(v.string()), reconcile: v.optional(v.boolean()) }),
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

/**
 * Runs one effect the transition asked for and returns its JSON-safe result event. Never throws:
 * a failing, missing or badly-behaved effect becomes an `xstate.error.actor.<id>` event.
 */
export async function runEffect(
  machine: CharmMachine,
  request: EffectRequest,
): Promise<EffectResult> {
  const fail = (message: string): EffectResult => ({
    type: `xstate.error.actor.${request.id}` as `xstate.error.actor.${EffectName}`,
    error: { message },
  })
  const logic = (machine.implementations.actors as Record<string, AnyActorLogic | undefined>)[
    request.src
  ]
  if (logic === undefined) return fail(`effect not provided: ${request.src}`)
  let output: unknown
  try {
    const actor = createActor(logic, { input: request.input })
    actor.start()
    output = await toPromise(actor)
  } catch (error) {
    return fail(messageOf(error))
  }
  const json: unknown = output === undefined ? null : JSON.parse(JSON.stringify(output) ?? 'null')
  const schema = OUTPUT_SCHEMAS[request.src]
  if (schema !== undefined) {
    const parsed = v.safeParse(schema, json)
    if (!parsed.success) {
      return fail(`${request.src} returned an invalid output: ${issueLine(parsed.issues)}`)
    }
  }
  return {
    type: `xstate.done.actor.${request.id}` as EffectResult['type'],
    output: json,
  } as EffectResult
}

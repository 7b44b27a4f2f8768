import * as v from 'valibot'
import { CharmFactsSchema } from './facts.js'
import { issueLine } from './issues.js'

const base = { now: v.pipe(v.string(), v.isoTimestamp()), facts: CharmFactsSchema }
const relation = {
  endpoint: v.pipe(v.string(), v.minLength(1)),
  relationId: v.pipe(v.number(), v.integer(), v.minValue(0)),
  remoteApp: v.optional(v.string()),
  remoteUnit: v.optional(v.string()),
  departingUnit: v.optional(v.string()),
}
const secret = {
  secretId: v.pipe(v.string(), v.minLength(1)),
  label: v.optional(v.string()),
  revision: v.optional(v.pipe(v.number(), v.integer())),
}

const plain = <T extends string>(type: T) => v.strictObject({ type: v.literal(type), ...base })
const onRelation = <T extends string>(type: T) =>
  v.strictObject({ type: v.literal(type), ...base, ...relation })
const onSecret = <T extends string>(type: T) =>
  v.strictObject({ type: v.literal(type), ...base, ...secret })

/** The Juju events that carry no payload besides `now` and `facts`. */
export const PLAIN_HOOK_EVENTS = [
  'juju.install',
  'juju.start',
  'juju.leader-elected',
  'juju.upgrade-charm',
  'juju.config-changed',
  'juju.update-status',
  'juju.stop',
  'juju.remove',
] as const

/**
 * Every Juju event the machine accepts, validated at the edge. Relation events of integrations
 * with a role are derived (`juju.database-created`, `juju.ingress-ready`, ...); relations
 * without one arrive as the generic `juju.relation-*`. Any action arrives as `juju.action`
 * (for example `rotate-secret-key` or `redeliver-failed-webhooks`), and any other hook (storage,
 * Pebble notices, ...) as `juju.hook`.
 */
export const JujuEventSchema = v.variant('type', [
  ...PLAIN_HOOK_EVENTS.map(plain),
  v.strictObject({ type: v.literal('juju.pebble-ready'), ...base, container: v.string() }),
  onRelation('juju.secret-storage-created'),
  onRelation('juju.secret-storage-changed'),
  onRelation('juju.secret-storage-departed'),
  onRelation('juju.database-created'),
  onRelation('juju.database-endpoints-changed'),
  onRelation('juju.database-relation-broken'),
  v.strictObject({
    type: v.literal('juju.ingress-ready'),
    ...base,
    ...relation,
    url: v.pipe(v.string(), v.url()),
  }),
  onRelation('juju.ingress-revoked'),
  onRelation('juju.relation-created'),
  onRelation('juju.relation-joined'),
  onRelation('juju.relation-changed'),
  onRelation('juju.relation-departed'),
  onRelation('juju.relation-broken'),
  onSecret('juju.secret-changed'),
  onSecret('juju.secret-rotate'),
  onSecret('juju.secret-remove'),
  onSecret('juju.secret-expired'),
  v.strictObject({
    type: v.literal('juju.action'),
    ...base,
    name: v.pipe(v.string(), v.minLength(1)),
    id: v.string(),
    params: v.record(v.string(), v.unknown()),
  }),
  v.strictObject({
    type: v.literal('juju.hook'),
    ...base,
    hook: v.pipe(v.string(), v.minLength(1)),
  }),
])

/** A validated Juju event: see {@link JujuEventSchema}. */
export type JujuEvent = v.InferOutput<typeof JujuEventSchema>

/** The `type` of any {@link JujuEvent}. */
export type JujuEventType = JujuEvent['type']

/** Names of the effects the machine invokes; each is an actor the charm provides. */
export const EFFECT_NAMES = [
  'validateConfig',
  'runMigrations',
  'restartWorkload',
  'stopWorkload',
  'initSecretStorage',
  'runAction',
] as const

/** See {@link EFFECT_NAMES}. */
export type EffectName = (typeof EFFECT_NAMES)[number]

const effectName = v.picklist(EFFECT_NAMES)

/**
 * The result of one effect, as recorded in the log and fed back into the machine. These are the
 * XState `xstate.done.actor.<id>` / `xstate.error.actor.<id>` events with JSON-safe payloads, so
 * a replay applies them without running the effect again.
 */
export const EffectResultSchema = v.union([
  v.strictObject({
    type: v.custom<`xstate.done.actor.${EffectName}`>(
      (input) =>
        typeof input === 'string' && v.is(effectName, input.replace('xstate.done.actor.', '')),
    ),
    output: v.unknown(),
  }),
  v.strictObject({
    type: v.custom<`xstate.error.actor.${EffectName}`>(
      (input) =>
        typeof input === 'string' && v.is(effectName, input.replace('xstate.error.actor.', '')),
    ),
    error: v.strictObject({ message: v.string() }),
  }),
])

/** See {@link EffectResultSchema}. */
export type EffectResult = v.InferOutput<typeof EffectResultSchema>

/**
 * Recorded when the unit's stored state could not be used and the machine restarted from the
 * current facts. Replay treats it as a reset to the initial state.
 */
export const RecoveredEventSchema = v.strictObject({
  type: v.literal('charm.recovered'),
  reason: v.string(),
})

/** See {@link RecoveredEventSchema}. */
export type RecoveredEvent = v.InferOutput<typeof RecoveredEventSchema>

/** Every event the machine handles. `charm.reconcile` is raised internally by action results. */
export type CharmEvent = JujuEvent | EffectResult | RecoveredEvent | { type: 'charm.reconcile' }

/**
 * Validates a Juju event at the edge.
 *
 * @example
 * ```ts
 * const result = parseJujuEvent(JSON.parse(text))
 * if (!result.success) throw new Error(result.message)
 * ```
 */
export function parseJujuEvent(
  input: unknown,
): { success: true; event: JujuEvent } | { success: false; message: string } {
  const result = v.safeParse(JujuEventSchema, input)
  if (result.success) return { success: true, event: result.output }
  return { success: false, message: issueLine(result.issues) }
}

import * as v from 'valibot'
import { initialTransition, transition } from 'xstate'
import type { AnyEventObject, SnapshotFrom } from 'xstate'
import type { CharmEvent } from './events.js'
import { EffectResultSchema, JujuEventSchema, RecoveredEventSchema } from './events.js'
import type { CharmFacts } from './facts.js'
import type { CharmMachine } from './machine.js'
import { issueLine } from './issues.js'

/**
 * One entry of a unit's log: a Juju event with the facts read at dispatch time, an effect result
 * (`facts: null`) or a recovery marker. `seq` grows by one per entry; `at` is the event's `now`.
 */
export const LogEntrySchema = v.strictObject({
  seq: v.pipe(v.number(), v.integer(), v.minValue(1)),
  at: v.pipe(v.string(), v.isoTimestamp()),
  event: v.looseObject({ type: v.pipe(v.string(), v.minLength(1)) }),
  // Checked in full by `eventOfEntry`, together with the event it belongs to.
  facts: v.custom<CharmFacts | null>(
    (input) => input === null || (typeof input === 'object' && !Array.isArray(input)),
    'facts must be an object or null',
  ),
})

/** See {@link LogEntrySchema}. */
export type LogEntry = v.InferOutput<typeof LogEntrySchema>

/** A machine snapshot. */
export type CharmSnapshot = SnapshotFrom<CharmMachine>

/** An effect the transition asked for: an invoked actor to run, in order. */
export interface EffectRequest {
  /** The invoke id, which is also the effect's name (`runMigrations`, ...). */
  id: string
  src: string
  input: unknown
}

/** Builds the log entry for a Juju event: the facts and `now` move out of the event body. */
export function entryForEvent(seq: number, event: CharmEvent, at: string): LogEntry {
  if ('facts' in event) {
    const { facts, now, ...body } = event
    return { seq, at: now, event: body, facts }
  }
  return { seq, at, event: { ...event }, facts: null }
}

/**
 * Turns a stored entry back into the machine event it recorded, validating it.
 *
 * @throws Error with a one-line reason when the entry is not a valid event.
 */
export function eventOfEntry(entry: LogEntry): CharmEvent {
  const { type } = entry.event
  const candidate = type.startsWith('juju.')
    ? v.safeParse(JujuEventSchema, { ...entry.event, now: entry.at, facts: entry.facts })
    : type === 'charm.recovered'
      ? v.safeParse(RecoveredEventSchema, entry.event)
      : v.safeParse(EffectResultSchema, entry.event)
  if (!candidate.success) {
    throw new Error(`log entry ${entry.seq} (${type}): ${issueLine(candidate.issues)}`)
  }
  return candidate.output
}

/** Parses one stored line (JSON text) into a {@link LogEntry}. */
export function parseLogLine(line: string): LogEntry {
  const parsed = v.safeParse(LogEntrySchema, JSON.parse(line))
  if (!parsed.success) throw new Error(issueLine(parsed.issues))
  eventOfEntry(parsed.output)
  return parsed.output
}

/** The initial snapshot of a unit that has seen nothing. */
export function initialSnapshot(machine: CharmMachine): CharmSnapshot {
  return initialTransition(machine)[0]
}

/**
 * Applies one recorded event with the pure transition function. Returns the next snapshot and
 * the effects it asks for; it runs nothing.
 */
export function applyEvent(
  machine: CharmMachine,
  snapshot: CharmSnapshot,
  event: CharmEvent,
): { snapshot: CharmSnapshot; effects: EffectRequest[]; stopped: string[] } {
  const [next, actions] = transition(machine, snapshot, event as AnyEventObject as never)
  const effects: EffectRequest[] = []
  const stopped: string[] = []
  for (const action of actions) {
    const params = action.params as unknown as { id?: unknown; src?: unknown; input?: unknown }
    if (action.type === 'xstate.spawnChild' && typeof params.id === 'string') {
      effects.push({ id: params.id, src: String(params.src), input: params.input })
    } else if ((action.type as string) === 'xstate.stopChild' && typeof params?.id === 'string') {
      stopped.push(params.id)
    }
  }
  return { snapshot: next, effects, stopped }
}

/** Rebuilds the event of an entry that was validated when it was read (see {@link parseLogLine}). */
function trustedEvent(entry: LogEntry): CharmEvent {
  const { type } = entry.event
  if (type.startsWith('juju.'))
    return { ...entry.event, now: entry.at, facts: entry.facts } as CharmEvent
  return entry.event as CharmEvent
}

/**
 * Replays a log with the pure transition function and runs no effect. Entries are trusted: stores
 * validate them when they read them ({@link parseLogLine}).
 *
 * @example
 * ```ts
 * const { snapshot } = replayLog(charmMachine, entries)
 * ```
 */
export function replayLog(
  machine: CharmMachine,
  entries: Iterable<LogEntry>,
  from: CharmSnapshot = initialSnapshot(machine),
): { snapshot: CharmSnapshot; seq: number } {
  let snapshot = from
  let seq = 0
  for (const entry of entries) {
    snapshot = applyEvent(machine, snapshot, trustedEvent(entry)).snapshot
    seq = entry.seq
  }
  return { snapshot, seq }
}

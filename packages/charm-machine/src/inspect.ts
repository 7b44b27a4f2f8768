import { createActor, fromPromise } from 'xstate'
import type { AnyActorLogic, InspectionEvent } from 'xstate'
import { EFFECT_NAMES } from './events.js'
import type { CharmSnapshot, LogEntry } from './log.js'
import { eventOfEntry } from './log.js'
import type { CharmMachine } from './machine.js'

/**
 * Replays a log into a live XState actor so an inspector sees every event, snapshot, microstep
 * and action. The effects are inert (they never settle): their recorded results come from the log,
 * exactly as in {@link replayLog}. A `charm.recovered` entry starts a new actor, as the unit did.
 *
 * @example
 * ```ts
 * const events: InspectionEvent[] = []
 * inspectLog(charmMachine, entries, (event) => events.push(event))
 * ```
 */
export function inspectLog(
  machine: CharmMachine,
  entries: Iterable<LogEntry>,
  inspect: (event: InspectionEvent) => void,
): CharmSnapshot {
  const inert: Record<string, AnyActorLogic> = {}
  for (const name of EFFECT_NAMES)
    inert[name] = fromPromise(() => new Promise<never>(() => undefined))
  const replaying = machine.provide({ actors: inert } as Parameters<CharmMachine['provide']>[0])
  let actor = createActor(replaying, { inspect })
  actor.start()
  for (const entry of entries) {
    const event = eventOfEntry(entry)
    if (event.type === 'charm.recovered') {
      actor.stop()
      actor = createActor(replaying, { inspect })
      actor.start()
    }
    actor.send(event as never)
  }
  const snapshot = actor.getSnapshot()
  actor.stop()
  return snapshot
}

/** A JSON-safe summary of an inspection event, one line of the offline file. */
export interface InspectionRecord {
  type: InspectionEvent['type']
  actorId: string
  sessionId: string
  event?: unknown
  value?: unknown
  action?: { type: string; params: unknown }
}

/** Summarises an XState inspection event without its live actor references. */
export function toInspectionRecord(event: InspectionEvent): InspectionRecord {
  const record: InspectionRecord = {
    type: event.type,
    actorId: (event.actorRef as { id?: string }).id ?? '',
    sessionId: event.actorRef.sessionId,
  }
  if ('event' in event && event.event !== undefined) record.event = event.event
  if (event.type === '@xstate.snapshot')
    record.value = (event.snapshot as { value?: unknown }).value
  if (event.type === '@xstate.action') {
    record.action = {
      type: event.action.type,
      params: JSON.parse(JSON.stringify(event.action.params ?? null)) as unknown,
    }
  }
  return record
}

import type { CharmMachine, CharmStore } from '@webhook-router/charm-machine'
import {
  applyEvent,
  eventOfEntry,
  initialSnapshot,
  lifecycleState,
} from '@webhook-router/charm-machine'
import type { HistoryEntry } from './actions.js'

/**
 * The unit's last `limit` transitions, replayed from its event log with the pure transition
 * function (no effect runs). Effect results show as `done <effect>` / `failed <effect>`.
 */
export async function readHistory(
  machine: CharmMachine,
  store: CharmStore,
  limit: number,
): Promise<HistoryEntry[]> {
  const log = await store.readLog()
  let snapshot = initialSnapshot(machine)
  const entries: HistoryEntry[] = []
  for (const entry of log.entries) {
    const event = eventOfEntry(entry)
    const from = lifecycleState(snapshot.value)
    const applied = applyEvent(machine, snapshot, event)
    snapshot = applied.snapshot
    entries.push({
      seq: entry.seq,
      at: entry.at,
      event: describeEvent(event.type),
      from,
      to: lifecycleState(snapshot.value),
      effects: applied.effects.map((effect) => effect.src),
    })
    if (entries.length > limit) entries.shift()
  }
  return entries
}

function describeEvent(type: string): string {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(type)
  if (done) return `done ${done[1]}`
  const failed = /^xstate\.error\.actor\.(.+)$/.exec(type)
  if (failed) return `failed ${failed[1]}`
  return type.replace(/^juju\./, '')
}

import type { CharmEvent, CharmFacts, JujuEvent } from '../index.js'

/** Facts of a unit with everything in place: Pebble up, database, ingress and peers ready. */
export function readyFacts(overrides: Partial<CharmFacts> = {}): CharmFacts {
  return {
    leader: true,
    containers: { web: { reachable: true } },
    config: { mode: 'a' },
    integrations: {
      db: { kind: 'database', required: true, status: 'ready' },
      ingress: { kind: 'ingress', required: false, status: 'ready' },
      peers: { kind: 'secret-storage', required: true, status: 'ready' },
    },
    ...overrides,
  }
}

/** `readyFacts` with one integration's status replaced. */
export function factsWith(
  name: string,
  status: 'absent' | 'pending' | 'ready',
  required?: boolean,
): CharmFacts {
  const facts = readyFacts()
  const current = facts.integrations[name]
  if (current === undefined) throw new Error(`no integration ${name}`)
  facts.integrations[name] = { ...current, status, required: required ?? current.required }
  return facts
}

const NOW = '2026-01-01T00:00:00.000Z'

/** A Juju event with ready facts unless given. */
export function juju<T extends JujuEvent['type']>(
  type: T,
  extra: Record<string, unknown> = {},
  facts: CharmFacts = readyFacts(),
): JujuEvent {
  return { type, now: NOW, facts, ...extra } as JujuEvent
}

/** The done event of an effect. */
export const done = (id: string, output: unknown = null): CharmEvent =>
  ({ type: `xstate.done.actor.${id}`, output }) as CharmEvent

/** The error event of an effect. */
export const failed = (id: string, message: string): CharmEvent =>
  ({ type: `xstate.error.actor.${id}`, error: { message } }) as CharmEvent

/** Relation fields for relation events. */
export const rel = (endpoint: string, relationId = 1) => ({ endpoint, relationId })

import * as v from 'valibot'
import type { DispatchStep, HookMemo, UnitStatus } from '../index.js'
import { HookToolError } from './errors.js'
import type { HookTools, JujuLogLevel } from './hook-tools.js'

/** Memo keys: the statuses this unit last set, and whether it was leader then. */
export const STATUS_MEMO_KEYS = {
  unit: 'status.unit',
  app: 'status.app',
  leader: 'status.leader',
} as const

/**
 * Hooks after which the statuses are set whatever the memo says: a new charm, a (re)started
 * unit, or a new leader whose app status another unit may have set.
 */
export const STATUS_RESET_HOOKS: ReadonlySet<string> = new Set([
  'install',
  'start',
  'upgrade-charm',
  'leader-elected',
  'post-series-upgrade',
])

const RememberedStatus = v.strictObject({
  name: v.picklist(['active', 'blocked', 'maintenance', 'waiting']),
  message: v.string(),
})

function remembered(memo: HookMemo, key: string): UnitStatus | null {
  try {
    const parsed = v.safeParse(RememberedStatus, JSON.parse(memo[key] ?? 'null'))
    return parsed.success ? parsed.output : null
  } catch {
    return null
  }
}

const sameStatus = (a: UnitStatus | null, b: UnitStatus): boolean =>
  a !== null && a.name === b.name && a.message === b.message

/** What {@link statusPublisher} needs from the dispatch. */
export interface StatusPublisherOptions {
  tools: HookTools
  memo: HookMemo
  /** The hook's name (`update-status`, ...); an action passes its own name. */
  hook: string
  leader: boolean
  log: (level: JujuLogLevel, message: string) => Promise<void>
}

/**
 * Builds the `onStep` handler that sets the unit status (and the app status on the leader)
 * after each persisted step. A `status-set` is a hook-tool call, so a status already shown is
 * not set again: within the dispatch, and, for a step that changes nothing (same state, no
 * effects), across dispatches by way of the memo. A step that changes anything, the hooks in
 * {@link STATUS_RESET_HOOKS} and a leadership change set the statuses again.
 *
 * @example
 * ```ts
 * const onStep = statusPublisher({ tools, memo, hook: 'update-status', leader: true, log })
 * await unit.dispatch(event, { onStep })
 * ```
 */
export function statusPublisher(
  options: StatusPublisherOptions,
): (step: DispatchStep) => Promise<void> {
  const { tools, memo, leader, log } = options
  const keys = STATUS_MEMO_KEYS
  const fresh = STATUS_RESET_HOOKS.has(options.hook) || memo[keys.leader] !== String(leader)
  let unit = fresh ? null : remembered(memo, keys.unit)
  let app = fresh || !leader ? null : remembered(memo, keys.app)
  if (fresh) delete memo[keys.unit]
  if (fresh || !leader) delete memo[keys.app]
  memo[keys.leader] = String(leader)
  let changed = false

  return async (step) => {
    const quiet = step.from === step.to && step.effects.length === 0
    if (!quiet && !changed) {
      changed = true
      unit = null
      app = null
    }
    if (step.status.name === 'unknown') return
    const { name, message } = step.status
    if (!sameStatus(unit, step.status)) {
      await tools.statusSet(name, message)
      unit = step.status
      memo[keys.unit] = JSON.stringify({ name, message })
    }
    if (!leader || sameStatus(app, step.status)) return
    try {
      await tools.statusSet(name, message, { application: true })
      app = step.status
      memo[keys.app] = JSON.stringify({ name, message })
    } catch (error) {
      // Leadership can move mid-hook; the unit status is what matters, so only log this. Any
      // other failure (a lost controller connection) fails the hook, which Juju retries.
      if (!(error instanceof HookToolError && error.isAccessDenied)) throw error
      app = null
      delete memo[keys.app]
      await log('WARNING', `charm-machine: app status not set: ${(error as Error).message}`)
    }
  }
}

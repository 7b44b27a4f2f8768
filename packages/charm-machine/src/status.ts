import type { CharmContext } from './context.js'
import type { CharmFacts } from './facts.js'
import {
  failingChecks,
  missingIntegrations,
  stoppedServices,
  unreachableContainers,
} from './facts.js'

/** A Juju workload status the charm may set. */
export interface UnitStatus {
  name: 'active' | 'blocked' | 'maintenance' | 'waiting' | 'unknown'
  message: string
}

/** The lifecycle state a snapshot is in, as a path such as `reconciling.migrating`. */
export function lifecycleState(value: unknown): string {
  const lifecycle = (value as { lifecycle?: unknown }).lifecycle
  if (typeof lifecycle === 'string') return lifecycle
  if (typeof lifecycle === 'object' && lifecycle !== null) {
    const [parent, child] = Object.entries(lifecycle)[0] ?? ['unknown', '']
    return typeof child === 'string' ? `${parent}.${child}` : parent
  }
  return 'unknown'
}

function integrationStatus(facts: CharmFacts | null): UnitStatus {
  if (facts === null) return { name: 'waiting', message: 'Waiting for integrations' }
  const missing = missingIntegrations(facts)
  const absent = missing.filter((name) => facts.integrations[name]?.status === 'absent')
  // A relation nobody created needs a human (blocked); one waiting for its provider does not.
  if (absent.length > 0)
    return { name: 'blocked', message: `missing integrations: ${absent.join(', ')}` }
  return { name: 'waiting', message: `Waiting for integrations: ${missing.join(', ')}` }
}

/**
 * The unit status each lifecycle state shows. The runtime sets it on the unit (and the app when
 * the unit is leader) after each persisted transition.
 *
 * @example
 * ```ts
 * statusOf(snapshot.value, snapshot.context) // { name: 'active', message: '' }
 * ```
 */
export function statusOf(value: unknown, context: CharmContext): UnitStatus {
  const state = lifecycleState(value)
  const root = state.split('.')[0]
  switch (root) {
    case 'active': {
      // Running as configured, but its own health check says it cannot serve (a database that
      // is down, a queue that cannot be written): a restart would not help, so say so and wait.
      const failing = context.facts ? failingChecks(context.facts) : []
      return failing.length > 0
        ? { name: 'waiting', message: `Workload not ready: ${failing.join(', ')}` }
        : { name: 'active', message: '' }
    }
    case 'waitingPebble': {
      const unreachable = context.facts ? unreachableContainers(context.facts) : []
      return {
        name: 'waiting',
        message:
          unreachable.length > 1
            ? `Waiting for pebble ready: ${unreachable.join(', ')}`
            : 'Waiting for pebble ready',
      }
    }
    case 'waitingSecret':
      return { name: 'waiting', message: 'Waiting for peer integration' }
    case 'waitingDatabase':
    case 'waitingIntegrations':
    case 'waitingIngress':
      return integrationStatus(context.facts)
    case 'reconciling': {
      const stopped = context.facts ? stoppedServices(context.facts) : []
      return {
        name: 'maintenance',
        message:
          state === 'reconciling.validatingConfig'
            ? 'Validating configuration'
            : state === 'reconciling.migrating'
              ? 'Running database migrations'
              : stopped.length > 0
                ? `Restarting: ${stopped.join(', ')}`
                : 'Preparing service for restart',
      }
    }
    case 'blocked':
      return { name: 'blocked', message: context.configErrors.join(', ') }
    case 'migrationFailed':
      return {
        name: 'blocked',
        message: `migration failed: ${context.failure?.reason ?? 'unknown'}, will retry in next update-status`,
      }
    case 'workloadFailed':
      return {
        name: 'blocked',
        message: `workload start failed: ${context.failure?.reason ?? 'unknown'}, will retry in next update-status`,
      }
    case 'stopped':
      return { name: 'maintenance', message: 'Stopping' }
    case 'removed':
      return { name: 'maintenance', message: 'Removing' }
    default:
      return { name: 'unknown', message: '' }
  }
}

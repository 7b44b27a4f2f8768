import { assign, enqueueActions, fromPromise, setup } from 'xstate'
import type { AnyEventObject } from 'xstate'
import type {
  CharmContext,
  InitSecretStorageInput,
  InitSecretStorageOutput,
  RunActionInput,
  RunActionOutput,
  ValidateConfigInput,
  ValidateConfigOutput,
  WorkloadEffectInput,
} from './context.js'
import { INITIAL_CONTEXT } from './context.js'
import type { JujuEvent, RecoveredEvent } from './events.js'
import { missingIntegrations, stoppedServices, unreachableContainers } from './facts.js'

/** Events the machine's types know; effect results are XState's own done/error events. */
export type MachineEvent = JujuEvent | RecoveredEvent | { type: 'charm.reconcile' }

const notProvided = <I, O>(name: string) =>
  fromPromise<O, I>(async () => {
    throw new Error(`effect not provided: ${name}`)
  })

const errorMessage = (error: unknown): string =>
  error instanceof Error
    ? error.message
    : typeof error === 'object' && error !== null && 'message' in error
      ? String((error as { message: unknown }).message)
      : String(error)

/** The XState setup of the lifecycle: types, placeholder effects, guards and actions by name. */
export const charmSetup = setup({
  types: {} as { context: CharmContext; events: MachineEvent },
  actors: {
    validateConfig: notProvided<ValidateConfigInput, ValidateConfigOutput>('validateConfig'),
    runMigrations: notProvided<WorkloadEffectInput, unknown>('runMigrations'),
    restartWorkload: notProvided<WorkloadEffectInput, unknown>('restartWorkload'),
    stopWorkload: notProvided<WorkloadEffectInput, unknown>('stopWorkload'),
    initSecretStorage: notProvided<InitSecretStorageInput, InitSecretStorageOutput>(
      'initSecretStorage',
    ),
    runAction: notProvided<RunActionInput, RunActionOutput>('runAction'),
  },
  guards: {
    isRemoved: ({ context }) => context.removed,
    containersUnreachable: ({ context }) =>
      context.facts !== null && unreachableContainers(context.facts).length > 0,
    secretStorageMissing: ({ context }) =>
      context.facts !== null && missingIntegrations(context.facts, 'secret-storage').length > 0,
    databaseMissing: ({ context }) =>
      context.facts !== null && missingIntegrations(context.facts, 'database').length > 0,
    otherIntegrationsMissing: ({ context }) =>
      context.facts !== null && missingIntegrations(context.facts, 'other').length > 0,
    ingressMissing: ({ context }) =>
      context.facts !== null && missingIntegrations(context.facts, 'ingress').length > 0,
    unrelatedRelationAndGatesPass: ({ event }) =>
      'endpoint' in event &&
      'facts' in event &&
      !(event.endpoint in event.facts.integrations) &&
      unreachableContainers(event.facts).length === 0 &&
      missingIntegrations(event.facts).length === 0 &&
      stoppedServices(event.facts).length === 0,
    // A service stopped from outside (or given up by Pebble) fails this too: the unit
    // re-evaluates, and the restart starts it again.
    allGatesPass: ({ event }) =>
      'facts' in event &&
      unreachableContainers(event.facts).length === 0 &&
      missingIntegrations(event.facts).length === 0 &&
      stoppedServices(event.facts).length === 0,
    migrationsPending: ({ context }) => context.migrations !== 'completed',
    configInvalid: ({ event }) =>
      (event as { output?: ValidateConfigOutput }).output?.errors.length !== 0,
    isLeader: ({ event }) => 'facts' in event && event.facts.leader,
  },
  actions: {
    recordFacts: assign(({ event }) =>
      'facts' in event ? { facts: event.facts, now: event.now } : {},
    ),
    markMigrationsPending: assign({ migrations: 'pending' as const }),
    markRemoved: assign({ removed: true }),
    recordIngressUrl: assign(({ event }) =>
      event.type === 'juju.ingress-ready' ? { ingressUrl: event.url } : {},
    ),
    clearIngressUrl: assign({ ingressUrl: null }),
    recordRecovery: assign(({ event }) => ({
      ...INITIAL_CONTEXT,
      recovery: { reason: event.type === 'charm.recovered' ? event.reason : 'unknown' },
    })),
    recordConfigErrors: assign(({ event }) => ({
      configErrors: (event as AnyEventObject & { output: ValidateConfigOutput }).output.errors,
    })),
    recordConfigCheckFailure: assign(({ event }) => ({
      configErrors: [`config validation failed: ${errorMessage((event as AnyEventObject).error)}`],
    })),
    clearFailure: assign({ configErrors: [], failure: null }),
    recordMigrationsCompleted: assign({ migrations: 'completed' as const }),
    recordMigrationFailure: assign(({ event }) => ({
      migrations: 'failed' as const,
      failure: {
        effect: 'runMigrations' as const,
        reason: errorMessage((event as AnyEventObject).error),
      },
    })),
    // The health read before a restart says nothing about the restarted services.
    forgetWorkloadHealth: assign(({ context }) =>
      context.facts === null
        ? {}
        : {
            facts: {
              ...context.facts,
              containers: Object.fromEntries(
                Object.entries(context.facts.containers).map(([name, container]) => [
                  name,
                  { reachable: container.reachable },
                ]),
              ),
            },
          },
    ),
    recordWorkloadFailure: assign(({ event }) => ({
      failure: {
        effect: 'restartWorkload' as const,
        reason: errorMessage((event as AnyEventObject).error),
      },
    })),
    recordPendingAction: assign(({ event }) =>
      event.type === 'juju.action'
        ? { pendingAction: { name: event.name, id: event.id, params: event.params } }
        : {},
    ),
    finishAction: enqueueActions(({ context, event, enqueue }) => {
      const output = (event as AnyEventObject & { output: RunActionOutput }).output
      const action = context.pendingAction
      enqueue.assign({
        pendingAction: null,
        lastAction: action && {
          name: action.name,
          id: action.id,
          outcome: output.failed === undefined ? 'completed' : 'failed',
          message: output.failed ?? '',
        },
      })
      if (output.reconcile === true) enqueue.raise({ type: 'charm.reconcile' })
    }),
    failAction: assign(({ context, event }) => ({
      pendingAction: null,
      lastAction: context.pendingAction && {
        name: context.pendingAction.name,
        id: context.pendingAction.id,
        outcome: 'failed' as const,
        message: errorMessage((event as AnyEventObject).error),
      },
    })),
    finishSecretStorage: enqueueActions(({ context, event, enqueue }) => {
      if (!(event as AnyEventObject & { output: InitSecretStorageOutput }).output.ready) return
      // The facts were read before the leader wrote the secret, so mark the peer storage ready.
      const facts = context.facts
      if (facts !== null) {
        const integrations = Object.fromEntries(
          Object.entries(facts.integrations).map(([name, fact]) => [
            name,
            fact.kind === 'secret-storage' ? { ...fact, status: 'ready' as const } : fact,
          ]),
        )
        enqueue.assign({ facts: { ...facts, integrations } })
      }
      enqueue.raise({ type: 'charm.reconcile' })
    }),
  },
})

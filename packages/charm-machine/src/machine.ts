import type { CharmContext, WorkloadEffectInput } from './context.js'
import { INITIAL_CONTEXT } from './context.js'
import type { CharmFacts } from './facts.js'
import { charmSetup } from './setup.js'

const evaluate = { target: '#charm.lifecycle.evaluating', actions: 'recordFacts' } as const

const stopThenRest = {
  initial: 'stoppingWorkload',
  states: {
    stoppingWorkload: {
      invoke: {
        id: 'stopWorkload',
        src: 'stopWorkload',
        input: workloadInputRef(),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    stopped: {},
  },
} as const

// Accepted in every tasks state (re-entering the current one), so a task left pending by a
// process that died never blocks the next one.
const startTask = {
  'juju.action': {
    target: 'runningAction',
    reenter: true,
    actions: ['recordFacts', 'recordPendingAction'],
  },
  'juju.secret-storage-created': {
    guard: 'isLeader',
    target: 'initialisingSecretStorage',
    reenter: true,
  },
} as const

/** Hooks after which an active unit whose gates still pass has nothing to restart. */
const QUIET_HOOKS = [
  'juju.update-status',
  'juju.install',
  'juju.start',
  'juju.leader-elected',
  'juju.secret-rotate',
  'juju.secret-remove',
  'juju.secret-expired',
  'juju.hook',
] as const

/** Generic relation hooks: quiet for endpoints the charm did not declare (logging, metrics...). */
const RELATION_HOOKS = [
  'juju.relation-created',
  'juju.relation-joined',
  'juju.relation-changed',
  'juju.relation-departed',
  'juju.relation-broken',
] as const

const EMPTY_FACTS: CharmFacts = { leader: false, containers: {}, config: {}, integrations: {} }

function workloadInputRef() {
  return ({ context }: { context: CharmContext }): WorkloadEffectInput => ({
    facts: context.facts ?? EMPTY_FACTS,
    ingressUrl: context.ingressUrl,
    now: context.now ?? new Date(0).toISOString(),
  })
}

/**
 * The charm lifecycle: a `lifecycle` region (gates, then validate → migrate → restart) and a
 * `tasks` region (actions and secret-storage initialisation) running side by side.
 *
 * Every effect is an invoked actor with a placeholder implementation; supply real ones with
 * {@link provideEffects} or `charmMachine.provide({ actors })`. Drive it with the pure
 * `transition()` (see {@link dispatchEvent}); never with timers.
 *
 * @example
 * ```ts
 * const machine = provideEffects(charmMachine, myEffects)
 * ```
 */
export const charmMachine = charmSetup.createMachine({
  id: 'charm',
  type: 'parallel',
  context: INITIAL_CONTEXT,
  states: {
    lifecycle: {
      initial: 'idle',
      on: {
        'juju.install': evaluate,
        'juju.start': evaluate,
        'juju.leader-elected': evaluate,
        'juju.upgrade-charm': evaluate,
        'juju.config-changed': evaluate,
        'juju.update-status': evaluate,
        'juju.pebble-ready': evaluate,
        'juju.secret-storage-created': evaluate,
        'juju.secret-storage-changed': evaluate,
        'juju.secret-storage-departed': evaluate,
        'juju.database-created': { ...evaluate, actions: ['recordFacts', 'markMigrationsPending'] },
        'juju.database-endpoints-changed': {
          ...evaluate,
          actions: ['recordFacts', 'markMigrationsPending'],
        },
        'juju.database-relation-broken': evaluate,
        'juju.ingress-ready': { ...evaluate, actions: ['recordFacts', 'recordIngressUrl'] },
        'juju.ingress-revoked': { ...evaluate, actions: ['recordFacts', 'clearIngressUrl'] },
        'juju.relation-created': evaluate,
        'juju.relation-joined': evaluate,
        'juju.relation-changed': evaluate,
        'juju.relation-departed': evaluate,
        'juju.relation-broken': evaluate,
        'juju.secret-changed': evaluate,
        'juju.secret-rotate': evaluate,
        'juju.secret-remove': evaluate,
        'juju.secret-expired': evaluate,
        'juju.hook': evaluate,
        'juju.stop': { target: '.stopped', actions: 'recordFacts' },
        'juju.remove': { target: '.removed', actions: ['recordFacts', 'markRemoved'] },
        'charm.reconcile': { target: '.evaluating' },
        'charm.recovered': { target: '.idle', actions: 'recordRecovery' },
      },
      states: {
        idle: { description: 'No event yet, or just recovered, no status set' },
        evaluating: {
          description: 'Transient, picks the first gate that fails',
          always: [
            { guard: 'isRemoved', target: 'removed' },
            { guard: 'containersUnreachable', target: 'waitingPebble' },
            { guard: 'secretStorageMissing', target: 'waitingSecret' },
            { guard: 'databaseMissing', target: 'waitingDatabase' },
            { guard: 'otherIntegrationsMissing', target: 'waitingIntegrations' },
            { guard: 'ingressMissing', target: 'waitingIngress' },
            { target: 'reconciling' },
          ],
        },
        waitingPebble: { description: 'waiting, Waiting for pebble ready' },
        waitingSecret: { description: 'waiting, Waiting for peer integration' },
        waitingDatabase: {
          description:
            'blocked, missing integrations (waiting while the provider has not answered)',
          entry: 'markMigrationsPending',
          ...stopThenRest,
        },
        waitingIntegrations: {
          description: 'blocked, missing integrations (waiting while a provider has not answered)',
          entry: 'markMigrationsPending',
          ...stopThenRest,
        },
        waitingIngress: { description: 'blocked or waiting, like the other integrations' },
        reconciling: {
          initial: 'validatingConfig',
          states: {
            validatingConfig: {
              description: 'maintenance, Validating configuration',
              invoke: {
                id: 'validateConfig',
                src: 'validateConfig',
                input: ({ context }) => ({
                  config: context.facts?.config ?? {},
                  facts: context.facts ?? EMPTY_FACTS,
                }),
                onDone: [
                  {
                    guard: 'configInvalid',
                    target: '#charm.lifecycle.blocked',
                    actions: 'recordConfigErrors',
                  },
                  { guard: 'migrationsPending', target: 'migrating', actions: 'clearFailure' },
                  { target: 'restarting', actions: 'clearFailure' },
                ],
                onError: {
                  target: '#charm.lifecycle.blocked',
                  actions: 'recordConfigCheckFailure',
                },
              },
            },
            migrating: {
              description: 'maintenance, Running database migrations',
              invoke: {
                id: 'runMigrations',
                src: 'runMigrations',
                input: workloadInputRef(),
                onDone: { target: 'restarting', actions: 'recordMigrationsCompleted' },
                onError: {
                  target: '#charm.lifecycle.migrationFailed',
                  actions: 'recordMigrationFailure',
                },
              },
            },
            restarting: {
              description: 'maintenance, Preparing service for restart',
              invoke: {
                id: 'restartWorkload',
                src: 'restartWorkload',
                input: workloadInputRef(),
                onDone: { target: '#charm.lifecycle.active', actions: 'forgetWorkloadHealth' },
                onError: {
                  target: '#charm.lifecycle.workloadFailed',
                  actions: 'recordWorkloadFailure',
                },
              },
            },
          },
        },
        active: {
          description: 'active, empty message (waiting while a Pebble check fails)',
          on: {
            // A healthy unit is not restarted by hooks that change nothing it depends on (the
            // periodic update-status above all); they re-evaluate only if a gate now fails.
            ...Object.fromEntries(
              QUIET_HOOKS.map((type) => [
                type,
                [{ guard: 'allGatesPass', actions: 'recordFacts' }, evaluate],
              ]),
            ),
            ...Object.fromEntries(
              RELATION_HOOKS.map((type) => [
                type,
                [{ guard: 'unrelatedRelationAndGatesPass', actions: 'recordFacts' }, evaluate],
              ]),
            ),
          },
        },
        blocked: { description: 'blocked, the config errors' },
        migrationFailed: { description: 'blocked, migration failed, retried on update-status' },
        workloadFailed: { description: 'blocked, workload start failed, retried on update-status' },
        stopped: { description: 'maintenance, Stopping' },
        removed: { description: 'maintenance, Removing, ignores later hooks' },
      },
    },
    tasks: {
      initial: 'idle',
      on: { 'charm.recovered': { target: '.idle' } },
      states: {
        idle: { on: startTask },
        runningAction: {
          on: startTask,
          invoke: {
            id: 'runAction',
            src: 'runAction',
            input: ({ context }) => ({
              name: context.pendingAction?.name ?? '',
              id: context.pendingAction?.id ?? '',
              params: context.pendingAction?.params ?? {},
              facts: context.facts ?? EMPTY_FACTS,
            }),
            onDone: { target: 'idle', actions: 'finishAction' },
            onError: { target: 'idle', actions: 'failAction' },
          },
        },
        initialisingSecretStorage: {
          on: startTask,
          invoke: {
            id: 'initSecretStorage',
            src: 'initSecretStorage',
            input: ({ event, context }) => ({
              endpoint: 'endpoint' in event ? event.endpoint : '',
              relationId: 'relationId' in event ? event.relationId : 0,
              facts: context.facts ?? EMPTY_FACTS,
            }),
            onDone: { target: 'idle', actions: 'finishSecretStorage' },
            onError: { target: 'idle' },
          },
        },
      },
    },
  },
})

/** The machine type every other function accepts, including provided variants. */
export type CharmMachine = typeof charmMachine

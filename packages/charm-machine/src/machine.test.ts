import { describe, expect, it } from 'vitest'
import { done, factsWith, failed, juju, readyFacts, rel } from './__fixtures__/facts.js'
import type { CharmEvent, CharmSnapshot } from './index.js'
import { applyEvent, charmMachine, initialSnapshot, lifecycleState, statusOf } from './index.js'

function run(events: CharmEvent[], from: CharmSnapshot = initialSnapshot(charmMachine)) {
  let snapshot = from
  let effects: string[] = []
  for (const event of events) {
    const step = applyEvent(charmMachine, snapshot, event)
    snapshot = step.snapshot
    effects = step.effects.map((effect) => effect.id)
  }
  return {
    snapshot,
    state: lifecycleState(snapshot.value),
    effects,
    status: statusOf(snapshot.value, snapshot.context),
  }
}

const toActive = [
  juju('juju.config-changed'),
  done('validateConfig', { errors: [] }),
  done('runMigrations'),
  done('restartWorkload'),
]

describe('charm machine transitions', () => {
  it('starts idle with an unknown status and asks for no effect', () => {
    const result = run([])
    expect(result.state).toBe('idle')
    expect(result.status).toEqual({ name: 'unknown', message: '' })
  })

  it('validates the config first when every gate passes', () => {
    const result = run([juju('juju.config-changed')])
    expect(result.state).toBe('reconciling.validatingConfig')
    expect(result.effects).toEqual(['validateConfig'])
    expect(result.status).toEqual({ name: 'maintenance', message: 'Validating configuration' })
  })

  it('waits for Pebble while a container is unreachable', () => {
    const result = run([
      juju('juju.install', {}, readyFacts({ containers: { web: { reachable: false } } })),
    ])
    expect(result.state).toBe('waitingPebble')
    expect(result.status).toEqual({ name: 'waiting', message: 'Waiting for pebble ready' })
    expect(result.effects).toEqual([])
  })

  it('waits for the peer secret storage before the database', () => {
    const facts = factsWith('peers', 'pending')
    facts.integrations['db'] = { kind: 'database', required: true, status: 'absent' }
    const result = run([juju('juju.config-changed', {}, facts)])
    expect(result.state).toBe('waitingSecret')
    expect(result.status).toEqual({ name: 'waiting', message: 'Waiting for peer integration' })
  })

  it('blocks with missing integrations and stops the workload when the database relation is absent', () => {
    const result = run([juju('juju.config-changed', {}, factsWith('db', 'absent'))])
    expect(result.state).toBe('waitingDatabase.stoppingWorkload')
    expect(result.effects).toEqual(['stopWorkload'])
    expect(result.status).toEqual({ name: 'blocked', message: 'missing integrations: db' })
  })

  it('waits rather than blocks while the database provider has not answered', () => {
    const result = run([juju('juju.config-changed', {}, factsWith('db', 'pending'))])
    expect(result.status).toEqual({ name: 'waiting', message: 'Waiting for integrations: db' })
  })

  it('waits for a required ingress that is not ready', () => {
    const result = run([juju('juju.config-changed', {}, factsWith('ingress', 'pending', true))])
    expect(result.state).toBe('waitingIngress')
  })

  it('ignores an optional ingress that is absent', () => {
    const result = run([juju('juju.config-changed', {}, factsWith('ingress', 'absent'))])
    expect(result.state).toBe('reconciling.validatingConfig')
  })

  it('waits for other required integrations after the database', () => {
    const facts = readyFacts()
    facts.integrations['cache'] = { kind: 'other', required: true, status: 'absent' }
    const result = run([juju('juju.config-changed', {}, facts)])
    expect(result.state).toBe('waitingIntegrations.stoppingWorkload')
    expect(result.status).toEqual({ name: 'blocked', message: 'missing integrations: cache' })
  })

  it('runs migrations, then restarts, then becomes active', () => {
    const result = run(toActive)
    expect(result.state).toBe('active')
    expect(result.status).toEqual({ name: 'active', message: '' })
    expect(result.snapshot.context.migrations).toBe('completed')
  })

  it('skips migrations once they completed', () => {
    const result = run([
      ...toActive,
      juju('juju.config-changed'),
      done('validateConfig', { errors: [] }),
    ])
    expect(result.state).toBe('reconciling.restarting')
    expect(result.effects).toEqual(['restartWorkload'])
  })

  it.each(['juju.database-created', 'juju.database-endpoints-changed'] as const)(
    'reruns migrations after %s',
    (type) => {
      const result = run([
        ...toActive,
        juju(type, rel('db')),
        done('validateConfig', { errors: [] }),
      ])
      expect(result.state).toBe('reconciling.migrating')
    },
  )

  it('blocks with the validator messages when the config is invalid', () => {
    const result = run([
      juju('juju.config-changed'),
      done('validateConfig', { errors: ['invalid options: mode', 'missing options: x'] }),
    ])
    expect(result.state).toBe('blocked')
    expect(result.status).toEqual({
      name: 'blocked',
      message: 'invalid options: mode, missing options: x',
    })
  })

  it('blocks when the config validator itself fails', () => {
    const result = run([juju('juju.config-changed'), failed('validateConfig', 'yaml parse error')])
    expect(result.status).toEqual({
      name: 'blocked',
      message: 'config validation failed: yaml parse error',
    })
  })

  it('records a failed migration with its reason', () => {
    const result = run([
      juju('juju.config-changed'),
      done('validateConfig', { errors: [] }),
      failed('runMigrations', 'exit 3'),
    ])
    expect(result.state).toBe('migrationFailed')
    expect(result.snapshot.context.migrations).toBe('failed')
    expect(result.status.message).toBe('migration failed: exit 3, will retry in next update-status')
  })

  it('records a workload that failed to start with its reason', () => {
    const result = run([...toActive.slice(0, 3), failed('restartWorkload', 'port in use')])
    expect(result.state).toBe('workloadFailed')
    expect(result.status.message).toBe(
      'workload start failed: port in use, will retry in next update-status',
    )
  })

  it('retries a failed migration on update-status', () => {
    const result = run([
      juju('juju.config-changed'),
      done('validateConfig', { errors: [] }),
      failed('runMigrations', 'x'),
      juju('juju.update-status'),
    ])
    expect(result.state).toBe('reconciling.validatingConfig')
  })

  it('keeps an active unit active on update-status when nothing changed, running no effect', () => {
    const result = run([...toActive, juju('juju.update-status')])
    expect(result.state).toBe('active')
    expect(result.effects).toEqual([])
  })

  it('re-evaluates an active unit on update-status when Pebble went away', () => {
    const result = run([
      ...toActive,
      juju('juju.update-status', {}, readyFacts({ containers: { web: { reachable: false } } })),
    ])
    expect(result.state).toBe('waitingPebble')
  })

  it.each([
    ['juju.pebble-ready', { container: 'web' }],
    ['juju.secret-storage-changed', rel('peers')],
    ['juju.secret-storage-departed', rel('peers')],
    ['juju.secret-changed', { secretId: 'secret:x' }],
    ['juju.upgrade-charm', {}],
    ['juju.config-changed', {}],
    ['juju.relation-changed', rel('db')],
  ] as const)('restarts an active unit on %s', (type, extra) => {
    const result = run([...toActive, juju(type, extra)])
    expect(result.state).toBe('reconciling.validatingConfig')
  })

  it.each([
    ['juju.install', {}],
    ['juju.start', {}],
    ['juju.leader-elected', {}],
    ['juju.secret-rotate', { secretId: 'secret:x' }],
    ['juju.hook', { hook: 'collect-metrics' }],
    ['juju.relation-changed', rel('logging')],
    ['juju.relation-broken', rel('metrics-endpoint')],
  ] as const)('leaves a healthy active unit alone on %s', (type, extra) => {
    const result = run([...toActive, juju(type, extra)])
    expect(result.state).toBe('active')
    expect(result.effects).toEqual([])
  })

  it('re-evaluates an active unit on a quiet hook when a gate now fails', () => {
    const result = run([...toActive, juju('juju.leader-elected', {}, factsWith('db', 'pending'))])
    expect(result.state).toBe('waitingDatabase.stoppingWorkload')
  })

  it('remembers the ingress URL from ingress-ready and forgets it on ingress-revoked', () => {
    const ready = run([
      juju('juju.ingress-ready', { ...rel('ingress'), url: 'http://example.com/app' }),
    ])
    expect(ready.snapshot.context.ingressUrl).toBe('http://example.com/app')
    const revoked = run([juju('juju.ingress-revoked', rel('ingress'))], ready.snapshot)
    expect(revoked.snapshot.context.ingressUrl).toBeNull()
  })

  it('blocks on a broken database relation', () => {
    const result = run([
      ...toActive,
      juju('juju.database-relation-broken', rel('db'), factsWith('db', 'absent')),
    ])
    expect(result.status).toEqual({ name: 'blocked', message: 'missing integrations: db' })
    expect(result.snapshot.context.migrations).toBe('pending')
  })

  it('goes to stopped on stop and ignores later hooks after remove', () => {
    expect(run([...toActive, juju('juju.stop')]).state).toBe('stopped')
    const removed = run([...toActive, juju('juju.remove'), juju('juju.config-changed')])
    expect(removed.state).toBe('removed')
    expect(removed.effects).toEqual([])
  })

  it('runs an action without leaving the lifecycle state', () => {
    const result = run([
      ...toActive,
      juju('juju.action', { name: 'redeliver-failed-webhooks', id: '4', params: { since: 60 } }),
    ])
    expect(result.state).toBe('active')
    expect(result.effects).toEqual(['runAction'])
    expect(result.snapshot.context.pendingAction).toEqual({
      name: 'redeliver-failed-webhooks',
      id: '4',
      params: { since: 60 },
    })
  })

  it('starts a new action even when the process of the previous one died before it finished', () => {
    const stale = run([...toActive, juju('juju.action', { name: 'a', id: '1', params: {} })])
    const result = run([juju('juju.action', { name: 'b', id: '2', params: {} })], stale.snapshot)
    expect(result.effects).toEqual(['runAction'])
    expect(result.snapshot.context.pendingAction?.name).toBe('b')
  })

  it('records a failed action and keeps the unit active', () => {
    const result = run([
      ...toActive,
      juju('juju.action', { name: 'a', id: '1', params: {} }),
      done('runAction', { failed: 'nope' }),
    ])
    expect(result.state).toBe('active')
    expect(result.snapshot.context.lastAction).toEqual({
      name: 'a',
      id: '1',
      outcome: 'failed',
      message: 'nope',
    })
  })

  it('reconciles again when an action asks for it', () => {
    const result = run([
      ...toActive,
      juju('juju.action', { name: 'rotate-secret-key', id: '1', params: {} }),
      done('runAction', { reconcile: true }),
    ])
    expect(result.state).toBe('reconciling.validatingConfig')
    expect(result.snapshot.context.lastAction?.outcome).toBe('completed')
  })

  it('initialises the secret storage only on the leader', () => {
    expect(
      run([juju('juju.secret-storage-created', rel('peers'), factsWith('peers', 'pending'))])
        .effects,
    ).toContain('initSecretStorage')
    const follower = { ...factsWith('peers', 'pending'), leader: false }
    expect(
      run([juju('juju.secret-storage-created', rel('peers'), follower)]).effects,
    ).not.toContain('initSecretStorage')
  })

  it('continues to reconcile once the leader has written the secret', () => {
    const result = run([
      juju('juju.secret-storage-created', rel('peers'), factsWith('peers', 'pending')),
      done('initSecretStorage', { ready: true }),
    ])
    expect(result.state).toBe('reconciling.validatingConfig')
  })

  it('resets to idle with the reason on charm.recovered', () => {
    const result = run([...toActive, { type: 'charm.recovered', reason: 'torn log' }])
    expect(result.state).toBe('idle')
    expect(result.snapshot.context.recovery).toEqual({ reason: 'torn log' })
    expect(result.snapshot.context.facts).toBeNull()
  })

  it('ignores an effect result that arrives in a state not waiting for it', () => {
    const result = run([...toActive, done('runMigrations')])
    expect(result.state).toBe('active')
  })
})

import { describe, expect, it } from 'vitest'
import { exampleCharm } from '../__fixtures__/example-charm.js'
import {
  Context,
  InconsistentStateError,
  container,
  createState,
  on,
  peerRelation,
  relation,
  secret,
} from './index.js'
import type { State } from './index.js'

const ctx = new Context(exampleCharm(), { appName: 'example' })

function readyState(overrides: Partial<State> = {}): State {
  return createState({
    leader: true,
    config: { mode: 'a' },
    containers: [container({ name: 'web', execs: [{ commandPrefix: ['migrate'], exitCode: 0 }] })],
    relations: [
      relation({
        endpoint: 'db',
        id: 7,
        remoteApp: 'mongodb-k8s',
        remoteAppData: { uris: 'mongodb://u:p@h:27017/example' },
      }),
      peerRelation({ endpoint: 'peers', id: 3, localAppData: { secret_key: 'k' } }),
    ],
    ...overrides,
  })
}

describe('Context.run', () => {
  it('brings a fully related unit to active, applying the layer and opening the port', async () => {
    const out = await ctx.run(on.configChanged(), readyState())
    expect(out.exitCode).toBe(0)
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(out.state.appStatus).toEqual({ name: 'active', message: '' })
    expect(out.state.containers[0]?.services).toEqual({ web: 'active' })
    expect(out.state.openedPorts).toEqual(['8000/tcp'])
    expect(out.execHistory['web']?.map((exec) => exec.command)).toEqual([['migrate']])
  })

  it('waits for Pebble while the container cannot connect', async () => {
    const out = await ctx.run(
      on.install(),
      readyState({ containers: [container({ name: 'web', canConnect: false })] }),
    )
    expect(out.state.unitStatus).toEqual({ name: 'waiting', message: 'Waiting for pebble ready' })
  })

  it('blocks on a missing database relation and stops the workload', async () => {
    const state = readyState()
    state.relations = state.relations.filter((candidate) => candidate.endpoint !== 'db')
    const out = await ctx.run(on.configChanged(), state)
    expect(out.state.unitStatus).toEqual({ name: 'blocked', message: 'missing integrations: db' })
    expect(out.pebbleCalls.map((call) => call.method)).toContain('stop')
  })

  it('blocks with the validator message on invalid config', async () => {
    const out = await ctx.run(on.configChanged(), readyState({ config: { mode: 'z' } }))
    expect(out.state.unitStatus).toEqual({ name: 'blocked', message: 'invalid options: mode' })
  })

  it('reports a failed migration in the status and retries it on update-status', async () => {
    const failing = readyState({
      containers: [
        container({
          name: 'web',
          execs: [{ commandPrefix: ['migrate'], exitCode: 1, stderr: 'table locked' }],
        }),
      ],
    })
    const first = await ctx.run(on.configChanged(), failing)
    expect(first.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'migration failed: table locked, will retry in next update-status',
    })
    const fixed = {
      ...first.state,
      containers: [container({ name: 'web', execs: [{ commandPrefix: ['migrate'] }] })],
    }
    const second = await ctx.run(on.updateStatus(), fixed)
    expect(second.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('reports a workload that fails to start', async () => {
    const state = readyState({
      containers: [
        container({
          name: 'web',
          execs: [{ commandPrefix: ['migrate'] }],
          failingServices: { web: 'port in use' },
        }),
      ],
    })
    const out = await ctx.run(on.configChanged(), state)
    expect(out.state.unitStatus.message).toBe(
      'workload start failed: cannot start service "web": port in use, will retry in next update-status',
    )
  })

  it('derives database-created from the provider data and records the diff snapshot', async () => {
    const state = readyState()
    const db = state.relations[0]!
    const creds = secret({ id: 'secret:abc', trackedContent: { username: 'u', password: 'p' } })
    db.remoteAppData = { 'secret-user': creds.id, endpoints: 'h0' }
    state.secrets = [creds]
    const out = await ctx.run(on.relationChanged(db), state)
    expect(out.event?.type).toBe('juju.database-created')
    expect(JSON.parse(out.state.relations[0]!.localUnitData['data'] ?? '{}')).toEqual({
      'secret-user': 'secret:abc',
      endpoints: 'h0',
    })
    expect(out.state.secrets[0]?.label).toBe('db.7.user.secret')
  })

  it('fails the rotate-secret-key action on a non-leader without erroring the unit', async () => {
    const out = await ctx.run(on.action('rotate-secret-key'), readyState({ leader: false }))
    expect(out.exitCode).toBe(0)
    expect(out.actionFailed).toBe('only leader unit can rotate secret key')
  })

  it('rotates the secret key on the leader and restarts the workload', async () => {
    const out = await ctx.run(on.action('rotate-secret-key'), readyState())
    expect(out.actionResults).toEqual({ status: 'success' })
    expect(out.state.relations[1]?.localAppData['secret_key']).toBe('rotated-key')
    expect(out.pebbleCalls.map((call) => call.method)).toContain('replan')
  })

  it('initialises the secret storage when the leader sees the peer relation created', async () => {
    const state = readyState()
    const peers = state.relations[1]!
    peers.localAppData = {}
    const out = await ctx.run(on.relationCreated(peers), state)
    expect(out.state.relations[1]?.localAppData['secret_key']).toBe('generated-key')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('keeps the machine log across runs so the next hook continues from it', async () => {
    const first = await ctx.run(on.configChanged(), readyState())
    const second = await ctx.run(on.updateStatus(), first.state)
    expect(second.state.storedLog.entries.length).toBeGreaterThan(
      first.state.storedLog.entries.length,
    )
    expect(second.steps.map((step) => `${step.from}->${step.to}`)).toEqual(['active->active'])
  })

  it('rejects an event on a relation that is not in the state', async () => {
    const orphan = relation({ endpoint: 'db', id: 99 })
    await expect(ctx.run(on.relationChanged(orphan), readyState())).rejects.toBeInstanceOf(
      InconsistentStateError,
    )
  })

  it('rejects a peer relation that lists the unit under test', async () => {
    const state = readyState()
    state.relations[1]!.remoteUnitsData = { 'example/0': {} }
    await expect(ctx.run(on.configChanged(), state)).rejects.toThrow(/lists this unit/)
  })
})

import {
  createState,
  on,
  relation,
  type HarnessEvent,
  type State,
} from '@webhook-router/charm-machine/testing'
import { describe, expect, it } from 'vitest'
import {
  APP,
  CONFIG,
  KEY,
  URI,
  app,
  context,
  mongoSecret,
  mongodb,
  peer,
  readyState,
} from './test-support/harness.js'

type Status = { name: string; message: string }

const SCENARIOS: { state: string; build: () => State; status: Status }[] = [
  {
    state: 'Pebble not ready',
    build: () => readyState({ containers: [app({ canConnect: false })] }),
    status: { name: 'waiting', message: 'Waiting for pebble ready' },
  },
  {
    state: 'no secret-storage relation',
    build: () => readyState({ relations: [mongodb(true)] }),
    status: { name: 'waiting', message: 'Waiting for peer integration' },
  },
  {
    state: 'secret-storage without a key',
    build: () => readyState({ relations: [peer(null), mongodb(true)] }),
    status: { name: 'waiting', message: 'Waiting for peer integration' },
  },
  {
    state: 'no mongodb relation',
    build: () => readyState({ relations: [peer()] }),
    status: { name: 'blocked', message: 'missing integrations: mongodb' },
  },
  {
    state: 'mongodb provider not answered yet',
    build: () => readyState({ relations: [peer(), mongodb(false)] }),
    status: { name: 'waiting', message: 'Waiting for integrations: mongodb' },
  },
  {
    state: 'mongodb credentials secret not granted',
    build: () => readyState({ secrets: [] }),
    status: { name: 'waiting', message: 'Waiting for integrations: mongodb' },
  },
  {
    state: 'invalid config',
    build: () => readyState({ config: { ...CONFIG, 'log-level': 'loud' } }),
    status: {
      name: 'blocked',
      message: 'invalid config: log-level must be one of DEBUG, INFO, WARNING, ERROR',
    },
  },
  {
    state: 'everything in place',
    build: () => readyState(),
    status: { name: 'active', message: '' },
  },
]

/** An event that needs something the state may lack returns `undefined` there. */
const EVENTS: { name: string; event: (state: State) => HarnessEvent | undefined }[] = [
  { name: 'install', event: () => on.install() },
  { name: 'leader-elected', event: () => on.leaderElected() },
  { name: 'upgrade-charm', event: () => on.upgradeCharm() },
  { name: 'config-changed', event: () => on.configChanged() },
  { name: 'start', event: () => on.start() },
  { name: 'app-pebble-ready', event: () => on.pebbleReady('app') },
  { name: 'update-status', event: () => on.updateStatus() },
  {
    name: 'secret-changed',
    event: (state) => {
      const changed = state.secrets[0]
      return changed === undefined ? undefined : on.secretChanged(changed)
    },
  },
  {
    name: 'ingress-relation-changed',
    event: (state) => {
      const ingress = state.relations.find((r) => r.endpoint === 'ingress')
      return ingress === undefined ? undefined : on.relationChanged(ingress)
    },
  },
  {
    name: 'secret-storage-relation-changed',
    event: (state) => {
      const storage = state.relations.find((r) => r.endpoint === 'secret-storage')
      return storage === undefined
        ? undefined
        : on.relationChanged(storage, { remoteUnit: `${APP}/1` })
    },
  },
]

/** Every scenario also has an (unanswered) ingress relation and a second unit on the peer. */
function withIngressAndPeerUnit(state: State): State {
  const storage = state.relations.find((r) => r.endpoint === 'secret-storage')
  if (storage) storage.remoteUnitsData = { [`${APP}/1`]: {} }
  const ingress = relation({
    endpoint: 'ingress',
    id: 30,
    remoteApp: 'traefik-k8s',
    remoteUnitsData: { 'traefik-k8s/0': {} },
  })
  return { ...state, relations: [...state.relations, ingress] }
}

describe('the unit status for every event in every state', () => {
  for (const scenario of SCENARIOS) {
    for (const { name, event } of EVENTS) {
      // Only combinations Juju can produce: no relation event without its relation.
      const state = withIngressAndPeerUnit(scenario.build())
      const input = event(state)
      if (input === undefined) continue
      it(`is ${scenario.status.name} on ${name} when ${scenario.state}`, async () => {
        const out = await context().run(input, state)
        expect(out.exitCode).toBe(0)
        expect(out.state.unitStatus).toEqual(scenario.status)
        expect(out.state.appStatus).toEqual(scenario.status)
      })
    }
  }
})

describe('the reconcile', () => {
  it('migrates and starts webhook-router serve with its environment and ready check', async () => {
    const out = await context().run(on.configChanged(), readyState())
    const migrate = out.execHistory['app']?.find((exec) => exec.command[1] === 'migrate')
    expect(migrate?.environment?.['MONGODB_DB_CONNECT_STRING']).toBe(URI)
    const layer = out.state.containers[0]?.layers['webhook-router']
    expect(layer?.services?.['webhook-router']).toMatchObject({
      override: 'replace',
      command: 'webhook-router serve',
      startup: 'enabled',
      environment: {
        APP_FLAVOURS: CONFIG.flavours,
        APP_DEFAULT_FLAVOUR: 'small',
        APP_WEBHOOK_SECRET: 's3cr3t',
        APP_SECRET_KEY: KEY,
        APP_BASE_URL: `http://${APP}.test-model:8000`,
        MONGODB_DB_CONNECT_STRING: URI,
      },
    })
    expect(layer?.checks?.['webhook-router-ready']).toMatchObject({
      level: 'ready',
      http: { url: 'http://localhost:8000/health' },
    })
    expect(out.state.containers[0]?.services['webhook-router']).toBe('active')
    expect(out.state.openedPorts).toContain('8000/tcp')
  })

  it('runs migrations before the workload starts', async () => {
    const out = await context().run(on.configChanged(), readyState())
    const order = out.pebbleCalls
      .map((call) => call.method)
      .filter((method) => ['exec', 'replan'].includes(method))
    expect(order).toEqual(['exec', 'replan'])
  })

  it('does not rerun a completed migration on a later config change', async () => {
    const first = await context().run(on.configChanged(), readyState())
    const second = await context().run(on.configChanged(), {
      ...first.state,
      config: { ...CONFIG, 'log-level': 'DEBUG' },
    })
    expect(second.execHistory['app'] ?? []).toEqual([])
    expect(
      second.state.containers[0]?.layers['webhook-router']?.services?.['webhook-router']
        ?.environment?.['APP_LOG_LEVEL'],
    ).toBe('DEBUG')
    expect(second.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('blocks with the reason when the migration fails, and retries on update-status', async () => {
    const failing = readyState({
      containers: [
        app({
          execs: [
            {
              commandPrefix: ['webhook-router', 'migrate'],
              exitCode: 1,
              stderr: 'progress\nMongoServerSelectionError: connect ECONNREFUSED\n',
            },
          ],
        }),
      ],
    })
    const out = await context().run(on.configChanged(), failing)
    expect(out.exitCode).toBe(0)
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message:
        'migration failed: webhook-router migrate failed (exit code 1: MongoServerSelectionError: connect ECONNREFUSED), will retry in next update-status',
    })
    const fixed = {
      ...out.state,
      containers: [app({ layers: out.state.containers[0]?.layers ?? {} })],
    }
    const retried = await context().run(on.updateStatus(), fixed)
    expect(retried.execHistory['app']?.map((exec) => exec.command.join(' '))).toEqual([
      'webhook-router migrate',
    ])
    expect(retried.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('blocks with the reason instead of failing the hook when the service does not start', async () => {
    const state = readyState({
      containers: [app({ failingServices: { 'webhook-router': 'exited quickly with code 1' } })],
    })
    const out = await context().run(on.configChanged(), state)
    expect(out.exitCode).toBe(0)
    expect(out.state.unitStatus.name).toBe('blocked')
    expect(out.state.unitStatus.message).toContain(
      'workload start failed: webhook-router did not start: ',
    )
    expect(out.state.unitStatus.message).toContain('exited quickly with code 1')
  })

  it('changes nothing on update-status once settled', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const out = await context().run(on.updateStatus(), settled.state)
    expect(out.pebbleCalls.map((call) => call.method)).not.toContain('replan')
    expect(out.pebbleCalls.map((call) => call.method)).not.toContain('addLayer')
    expect(out.calls.map((call) => call.tool)).not.toContain('relation-set')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('stops the workload and blocks when the mongodb relation is broken', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const mongo = settled.state.relations.find((r) => r.endpoint === 'mongodb')
    if (!mongo) throw new Error('no mongodb relation')
    const out = await context().run(on.relationBroken(mongo), settled.state)
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: mongodb',
    })
    expect(out.state.containers[0]?.services['webhook-router']).toBe('inactive')
  })

  it('passes the previous webhook secret during a rotation', async () => {
    const state = readyState({ config: { ...CONFIG, 'webhook-secret-previous': 'old' } })
    const out = await context().run(on.configChanged(), state)
    expect(
      out.state.containers[0]?.layers['webhook-router']?.services?.['webhook-router']?.environment,
    ).toMatchObject({
      APP_WEBHOOK_SECRET: 's3cr3t',
      APP_WEBHOOK_SECRET_PREVIOUS: 'old',
    })
  })

  it('configures automatic redelivery with the credentials of the granted secret', async () => {
    const auth = {
      id: 'secret:ghauth0001',
      owner: null,
      trackedContent: { token: 'ghp_abc' },
      latestContent: { token: 'ghp_abc' },
      revision: 1,
    }
    const config = {
      ...CONFIG,
      'redelivery-interval': 600,
      'redelivery-github-path': 'canonical',
      'redelivery-webhook-id': 9,
      'redelivery-github-auth': auth.id,
    }
    const out = await context().run(
      on.configChanged(),
      readyState({ config, secrets: [mongoSecret(), auth] }),
    )
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(
      out.state.containers[0]?.layers['webhook-router']?.services?.['webhook-router']?.environment,
    ).toMatchObject({
      APP_REDELIVERY_INTERVAL: '600',
      APP_REDELIVERY_GITHUB_PATH: 'canonical',
      APP_REDELIVERY_WEBHOOK_ID: '9',
      GITHUB_TOKEN: 'ghp_abc',
    })
  })

  it('blocks with the grant command when the redelivery secret is not granted', async () => {
    const config = {
      ...CONFIG,
      'redelivery-interval': 600,
      'redelivery-github-path': 'canonical',
      'redelivery-webhook-id': 9,
      'redelivery-github-auth': 'secret:missing01',
    }
    const out = await context().run(on.configChanged(), readyState({ config }))
    expect(out.state.unitStatus.name).toBe('blocked')
    expect(out.state.unitStatus.message).toContain(`juju grant-secret secret:missing01 ${APP}`)
  })

  it('sets only the unit status on a non-leader', async () => {
    const out = await context().run(on.configChanged(), readyState({ leader: false }))
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(out.state.appStatus).toEqual({ name: 'unknown', message: '' })
  })

  it('survives an empty state without failing the hook', async () => {
    const out = await context().run(
      on.install(),
      createState({ containers: [app({ canConnect: false })] }),
    )
    expect(out.exitCode).toBe(0)
  })

  it('publishes the application data and sets the app status once the unit becomes leader', async () => {
    const ingress = relation({ endpoint: 'ingress', id: 9, remoteApp: 'traefik-k8s' })
    const follower = await context().run(
      on.configChanged(),
      readyState({ leader: false, relations: [peer(), mongodb(true), ingress] }),
    )
    expect(follower.state.relations.find((r) => r.endpoint === 'ingress')?.localAppData).toEqual({})
    const out = await context().run(on.leaderElected(), { ...follower.state, leader: true })
    expect(out.state.relations.find((r) => r.endpoint === 'ingress')?.localAppData['name']).toBe(
      `"${APP}"`,
    )
    expect(out.state.appStatus).toEqual({ name: 'active', message: '' })
  })

  it('keeps the key when leadership moves to a unit that did not create it', async () => {
    const out = await context().run(on.leaderElected(), readyState())
    expect(
      out.state.relations.find((r) => r.endpoint === 'secret-storage')?.localAppData[
        'app_secret_key'
      ],
    ).toBe(KEY)
  })

  it('exits cleanly on stop and remove', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const stopped = await context().run(on.stop(), settled.state)
    expect(stopped.exitCode).toBe(0)
    const removed = await context().run(on.remove(), stopped.state)
    expect(removed.exitCode).toBe(0)
  })
})

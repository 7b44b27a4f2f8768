import { on, type State } from '@webhook-router/charm-machine/testing'
import { describe, expect, it } from 'vitest'
import {
  AMQP_URI,
  APP,
  CONFIG,
  STREAM_CONFIG,
  context,
  mongodb,
  peer,
  rabbitmq,
  readyState,
} from './test-support/harness.js'

function environmentOf(state: State): Record<string, string> {
  return (
    state.containers[0]?.layers['webhook-router']?.services?.['webhook-router']?.environment ?? {}
  )
}

/** A unit publishing the stream only: Pebble up, key stored, no mongodb relation. */
function streamState(partial: Partial<State> = {}): State {
  return readyState({
    config: STREAM_CONFIG,
    relations: [peer(), rabbitmq(true)],
    secrets: [],
    ...partial,
  })
}

const STREAM_VARIABLES = ['APP_PUBLISH_MODE', 'RABBITMQ_CONNECT_STRING', 'APP_STREAM_DEDUP_PATH']

describe('the rabbitmq requirer', () => {
  it('asks for a user named after the application on the default vhost', async () => {
    const fresh = rabbitmq(false, { localAppData: {} })
    const out = await context().run(
      on.relationCreated(fresh),
      readyState({ relations: [peer(), mongodb(true), fresh] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'rabbitmq')?.localAppData).toEqual({
      username: APP,
      vhost: '/',
    })
  })

  it('asks again on relation-joined when the request is missing', async () => {
    const fresh = rabbitmq(false, { localAppData: {} })
    const out = await context().run(
      on.relationJoined(fresh, { remoteUnit: 'rabbitmq-k8s/0' }),
      streamState({ relations: [peer(), fresh] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'rabbitmq')?.localAppData).toEqual({
      username: APP,
      vhost: '/',
    })
  })

  it('does not write the request as a non-leader', async () => {
    const fresh = rabbitmq(false, { localAppData: {} })
    const out = await context().run(
      on.relationCreated(fresh),
      streamState({ leader: false, relations: [peer(), fresh] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'rabbitmq')?.localAppData).toEqual({})
  })
})

describe('publish-mode kombu (the default)', () => {
  it('leaves the workload environment as before the option existed', async () => {
    const out = await context().run(
      on.configChanged(),
      readyState({ relations: [peer(), mongodb(true), rabbitmq(true)] }),
    )
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    const environment = environmentOf(out.state)
    for (const name of STREAM_VARIABLES) expect(environment).not.toHaveProperty(name)
    expect(environment['MONGODB_DB_CONNECT_STRING']).toContain('m-0.m-endpoints')
  })

  it('needs no rabbitmq relation', async () => {
    const out = await context().run(on.configChanged(), readyState())
    expect(out.event?.facts.integrations['rabbitmq']).toEqual({
      kind: 'other',
      required: false,
      status: 'absent',
    })
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })
})

describe('publish-mode stream', () => {
  it('runs with the broker alone: no mongodb relation and no flavour table', async () => {
    const out = await context().run(on.configChanged(), streamState())
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    const environment = environmentOf(out.state)
    expect(environment).toMatchObject({
      APP_PUBLISH_MODE: 'stream',
      RABBITMQ_CONNECT_STRING: AMQP_URI,
      APP_STREAM_DEDUP_PATH: '/var/lib/webhook-router/stream-dedup.sqlite',
    })
    for (const name of ['MONGODB_DB_CONNECT_STRING', 'APP_FLAVOURS', 'APP_DEFAULT_FLAVOUR'])
      expect(environment).not.toHaveProperty(name)
    expect(out.state.containers[0]?.services['webhook-router']).toBe('active')
  })

  it('migrates (declares the exchange) with the connect string, and logs no password', async () => {
    const out = await context().run(on.configChanged(), streamState())
    const migrate = out.execHistory['app']?.find((exec) => exec.command[1] === 'migrate')
    expect(migrate?.environment?.['RABBITMQ_CONNECT_STRING']).toBe(AMQP_URI)
    expect(JSON.stringify(out.logs)).not.toContain('P%40ss')
  })

  it('blocks, with the workload stopped, while there is no rabbitmq relation', async () => {
    const out = await context().run(on.configChanged(), streamState({ relations: [peer()] }))
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: rabbitmq',
    })
    expect(out.state.containers[0]?.layers['webhook-router']).toBeUndefined()
  })

  it('waits for the provider after the relation is created', async () => {
    const fresh = rabbitmq(false)
    const out = await context().run(
      on.relationCreated(fresh),
      streamState({ relations: [peer(), fresh] }),
    )
    expect(out.state.unitStatus).toEqual({
      name: 'waiting',
      message: 'Waiting for integrations: rabbitmq',
    })
  })

  it('keeps waiting while the provider has sent a hostname but no password', async () => {
    const partial = rabbitmq(false, { remoteAppData: { hostname: 'rabbitmq-k8s.prod.svc' } })
    const out = await context().run(
      on.relationChanged(partial),
      streamState({ relations: [peer(), partial] }),
    )
    expect(out.state.unitStatus).toEqual({
      name: 'waiting',
      message: 'Waiting for integrations: rabbitmq',
    })
    expect(environmentOf(out.state)).not.toHaveProperty('RABBITMQ_CONNECT_STRING')
  })

  it('starts when the provider answers on relation-changed', async () => {
    const waiting = await context().run(
      on.configChanged(),
      streamState({ relations: [peer(), rabbitmq(false)] }),
    )
    const answered = waiting.state.relations.find((r) => r.endpoint === 'rabbitmq')
    if (!answered) throw new Error('no rabbitmq relation')
    answered.remoteAppData = { hostname: 'rabbitmq-k8s.prod.svc.cluster.local', password: 'pw' }
    const out = await context().run(on.relationChanged(answered), waiting.state)
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(environmentOf(out.state)['RABBITMQ_CONNECT_STRING']).toBe(
      `amqp://${APP}:pw@rabbitmq-k8s.prod.svc.cluster.local:5672/%2F`,
    )
  })

  it("takes the credentials from rabbitmq-server's unit databags", async () => {
    const machine = rabbitmq(false, {
      remoteApp: 'rabbitmq-server',
      remoteUnitsData: {
        'rabbitmq-server/0': { 'private-address': '10.0.0.4' },
        'rabbitmq-server/1': { hostname: '10.0.0.5', password: 'pw' },
      },
    })
    const out = await context().run(
      on.relationChanged(machine, { remoteUnit: 'rabbitmq-server/1' }),
      streamState({ relations: [peer(), machine] }),
    )
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(environmentOf(out.state)['RABBITMQ_CONNECT_STRING']).toBe(
      `amqp://${APP}:pw@10.0.0.5:5672/%2F`,
    )
  })

  it('stops the workload and blocks when the rabbitmq relation is broken', async () => {
    const settled = await context().run(on.configChanged(), streamState())
    const broker = settled.state.relations.find((r) => r.endpoint === 'rabbitmq')
    if (!broker) throw new Error('no rabbitmq relation')
    const out = await context().run(on.relationBroken(broker), settled.state)
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: rabbitmq',
    })
    expect(out.state.containers[0]?.services['webhook-router']).toBe('inactive')
  })
})

describe('publish-mode both', () => {
  const both = { ...CONFIG, 'publish-mode': 'both' }

  it('publishes to the kombu queues and the stream at once', async () => {
    const out = await context().run(
      on.configChanged(),
      readyState({ config: both, relations: [peer(), mongodb(true), rabbitmq(true)] }),
    )
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(environmentOf(out.state)).toMatchObject({
      APP_PUBLISH_MODE: 'both',
      RABBITMQ_CONNECT_STRING: AMQP_URI,
      APP_FLAVOURS: CONFIG.flavours,
    })
    expect(environmentOf(out.state)['MONGODB_DB_CONNECT_STRING']).toContain('m-0.m-endpoints')
  })

  it('blocks without the rabbitmq relation even though MongoDB is ready', async () => {
    const out = await context().run(on.configChanged(), readyState({ config: both }))
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: rabbitmq',
    })
  })

  it('blocks without the mongodb relation even though the broker is ready', async () => {
    const out = await context().run(
      on.configChanged(),
      readyState({ config: both, relations: [peer(), rabbitmq(true)], secrets: [] }),
    )
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: mongodb',
    })
  })

  it('drops the stream variables when switched back to kombu', async () => {
    const relations = [peer(), mongodb(true), rabbitmq(true)]
    const migrating = await context().run(
      on.configChanged(),
      readyState({ config: both, relations }),
    )
    const back = await context().run(on.configChanged(), { ...migrating.state, config: CONFIG })
    expect(back.state.unitStatus).toEqual({ name: 'active', message: '' })
    for (const name of STREAM_VARIABLES) expect(environmentOf(back.state)).not.toHaveProperty(name)
    expect(back.pebbleCalls.map((call) => call.method)).toContain('replan')
  })
})

describe('a bad publish-mode', () => {
  it('blocks with the allowed values, and the workload keeps its last environment', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const out = await context().run(on.configChanged(), {
      ...settled.state,
      config: { ...CONFIG, 'publish-mode': 'rabbit' },
    })
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'invalid config: publish-mode must be one of kombu, stream, both',
    })
    expect(environmentOf(out.state)).toEqual(environmentOf(settled.state))
  })

  it('still needs MongoDB, as the default mode does', async () => {
    const out = await context().run(
      on.configChanged(),
      readyState({ config: { ...CONFIG, 'publish-mode': 'Stream' }, relations: [peer()] }),
    )
    expect(out.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: mongodb',
    })
  })
})

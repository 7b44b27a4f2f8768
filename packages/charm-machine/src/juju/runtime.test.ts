import { describe, expect, it } from 'vitest'
import { exampleCharm } from '../__fixtures__/example-charm.js'
import { exampleRelatedState } from '../__fixtures__/example-state.js'
import { MemoryStore } from '../index.js'
import { Context, FakePebble, container, createFakeTools, on } from '../testing/index.js'
import { hookToolError, runHook } from './index.js'

const ctx = new Context(exampleCharm(), { appName: 'example', modelName: 'prod' })

const state = exampleRelatedState

describe('runHook event derivation', () => {
  it('requests the database as leader when the database relation is created', async () => {
    const input = state()
    input.relations[0]!.remoteAppData = {}
    const out = await ctx.run(on.relationCreated(input.relations[0]!), input)
    expect(out.state.relations[0]?.localAppData).toEqual({
      database: 'example',
      'requested-secrets': '["username","password","tls","tls-ca","uris"]',
    })
    expect(out.event?.type).toBe('juju.relation-created')
  })

  it('derives endpoints-changed when only the endpoints changed', async () => {
    const input = state()
    input.relations[0]!.localUnitData = {
      data: JSON.stringify({ uris: 'mongodb://h/example', endpoints: 'h0' }),
    }
    input.relations[0]!.remoteAppData = { uris: 'mongodb://h/example', endpoints: 'h0,h1' }
    const out = await ctx.run(on.relationChanged(input.relations[0]!), input)
    expect(out.event?.type).toBe('juju.database-endpoints-changed')
  })

  it('derives a plain relation-changed when nothing the requirer watches changed', async () => {
    const input = state()
    input.relations[0]!.localUnitData = {
      data: JSON.stringify({ uris: 'mongodb://h/example', endpoints: 'h0' }),
    }
    const out = await ctx.run(on.relationChanged(input.relations[0]!), input)
    expect(out.event?.type).toBe('juju.relation-changed')
  })

  it('counts the relation being broken as absent and derives database-relation-broken', async () => {
    const input = state()
    const out = await ctx.run(on.relationBroken(input.relations[0]!), input)
    expect(out.event).toMatchObject({
      type: 'juju.database-relation-broken',
      facts: { integrations: { db: { status: 'absent' } } },
    })
    expect(out.state.unitStatus).toEqual({ name: 'blocked', message: 'missing integrations: db' })
  })

  it('derives ingress-ready with the provider URL and hands it to the restart', async () => {
    const input = state()
    const out = await ctx.run(on.relationChanged(input.relations[2]!), input)
    expect(out.event).toMatchObject({
      type: 'juju.ingress-ready',
      url: 'http://example.com/prod-example',
    })
    expect(out.state.containers[0]?.layers['charm']?.services?.['web']?.environment).toEqual({
      BASE_URL: 'http://example.com/prod-example',
    })
  })

  it('does not repeat ingress-ready for a URL the unit already has', async () => {
    const first = await ctx.run(on.relationChanged(state().relations[2]!), state())
    const second = await ctx.run(on.relationChanged(first.state.relations[2]!), first.state)
    expect(second.event?.type).toBe('juju.relation-changed')
  })

  it('derives ingress-revoked when the ingress relation is broken', async () => {
    const input = state()
    const out = await ctx.run(on.relationBroken(input.relations[2]!), input)
    expect(out.event?.type).toBe('juju.ingress-revoked')
  })

  it('passes action params read with action-get', async () => {
    const out = await ctx.run(on.action('redeliver-failed-webhooks', { since: 60 }), state())
    expect(out.event).toMatchObject({
      type: 'juju.action',
      name: 'redeliver-failed-webhooks',
      params: { since: 60 },
    })
    expect(out.actionFailed).toBe('unknown action redeliver-failed-webhooks')
    expect(out.exitCode).toBe(0)
  })

  it('maps any other hook to juju.hook', async () => {
    const out = await ctx.run(on.hook('data-storage-attached'), state())
    expect(out.event).toMatchObject({ type: 'juju.hook', hook: 'data-storage-attached' })
  })
})

describe('runHook failures', () => {
  it('keeps going with a warning when the app status cannot be set because leadership moved', async () => {
    const input = state({ leader: false })
    const records = {
      logs: [] as { level: string; message: string }[],
      unitStatusHistory: [],
      appStatusHistory: [],
      actionResults: {},
      actionFailed: null,
      actionLogs: [],
      calls: [],
    }
    const identity = { appName: 'example', unitName: 'example/0', modelUuid: 'u', actionParams: {} }
    // is-leader still says yes, but the lease is gone by the time the app status is set.
    const tools = { ...createFakeTools(input, identity, records), isLeader: async () => true }
    const web = container({ name: 'web', execs: [{ commandPrefix: ['migrate'] }] })
    const outcome = await runHook(
      exampleCharm({ connectWorkload: () => new FakePebble(web, [], []) }),
      {
        env: {
          JUJU_DISPATCH_PATH: 'hooks/config-changed',
          JUJU_UNIT_NAME: 'example/0',
          JUJU_MODEL_NAME: 'm',
          JUJU_MODEL_UUID: 'u',
          JUJU_VERSION: '3.6.14',
        },
        tools,
        store: new MemoryStore(),
      },
    )
    expect(outcome.exitCode).toBe(0)
    expect(input.unitStatus).toEqual({ name: 'active', message: '' })
    expect(records.logs).toContainEqual({
      level: 'WARNING',
      message: expect.stringContaining('app status not set'),
    })
  })

  it('fails the hook when the app status cannot be set for another reason than leadership', async () => {
    const failing = new Context(exampleCharm(), {
      appName: 'example',
      wrapTools: (tools) => ({
        ...tools,
        statusSet: async (name, message, options) => {
          if (options?.application === true)
            throw hookToolError('status-set', 1, 'ERROR connection is shut down\n')
          return tools.statusSet(name, message, options)
        },
      }),
    })
    const out = await failing.run(on.configChanged(), state())
    expect(out.exitCode).toBe(1)
    expect(out.error).toBe(
      'charm-machine: hook config-changed failed: status-set failed (exit 1): connection is shut down',
    )
  })

  it('exits 1 with a one-line message when the environment is not a dispatch', async () => {
    const lines: string[] = []
    const outcome = await runHook(exampleCharm(), {
      env: {},
      writeError: (line) => lines.push(line),
    })
    expect(outcome.exitCode).toBe(1)
    expect(lines).toEqual([
      'charm-machine: JUJU_DISPATCH_PATH is not set: not running as a Juju hook?',
    ])
  })

  it('fails the hook, discarding buffered writes but keeping statuses, when reading the model fails', async () => {
    const input = state()
    input.relations[0]!.remoteAppData = {}
    const broken = new Context(
      {
        ...exampleCharm(),
        beforeDispatch: async () => Promise.reject(new Error('pebble socket gone')),
      },
      { appName: 'example' },
    )
    const out = await broken.run(on.relationCreated(input.relations[0]!), input)
    expect(out.exitCode).toBe(1)
    expect(out.error).toBe('charm-machine: hook db-relation-created failed: pebble socket gone')
    expect(out.state.unitStatus).toEqual({
      name: 'error',
      message: 'hook failed: "db-relation-created"',
    })
    expect(out.state.relations).toEqual(input.relations)
  })
})

import { describe, expect, it } from 'vitest'
import { exampleCharm } from '../__fixtures__/example-charm.js'
import { exampleRelatedState } from '../__fixtures__/example-state.js'
import { MemoryStore } from '../index.js'
import { Context, FakePebble, createFakeTools, on, type State } from '../testing/index.js'
import { runHook } from './index.js'

const ctx = new Context(exampleCharm(), { appName: 'example' })

const settled = async (): Promise<State> => {
  const out = await ctx.run(on.configChanged(), exampleRelatedState())
  expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  return out.state
}

const withWeb = (state: State, change: (web: State['containers'][number]) => void): State => {
  const copy = structuredClone(state)
  change(copy.containers[0]!)
  return copy
}

describe('update-status reads the workload health', () => {
  it('restarts a service stopped from outside, saying so, and is active again', async () => {
    const stopped = withWeb(await settled(), (web) => (web.services['web'] = 'inactive'))
    const out = await ctx.run(on.updateStatus(), stopped)
    expect(out.exitCode).toBe(0)
    expect(out.unitStatusHistory).toContainEqual({
      name: 'maintenance',
      message: 'Restarting: web in web is inactive',
    })
    expect(out.pebbleCalls.map((call) => call.method)).toContain('replan')
    expect(out.state.containers[0]?.services['web']).toBe('active')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('restarts a service Pebble gave up on (error)', async () => {
    const failed = withWeb(await settled(), (web) => (web.services['web'] = 'error'))
    const out = await ctx.run(on.updateStatus(), failed)
    expect(out.state.containers[0]?.services['web']).toBe('active')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('leaves a service in backoff to Pebble, which is restarting it already', async () => {
    const backoff = withWeb(await settled(), (web) => (web.services['web'] = 'backoff'))
    const out = await ctx.run(on.updateStatus(), backoff)
    expect(out.pebbleCalls.map((call) => call.method)).not.toContain('replan')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('waits with the reason while a check fails, without restarting, and is active once it passes', async () => {
    const failing = withWeb(await settled(), (web) => (web.checks = { ready: { status: 'down' } }))
    const out = await ctx.run(on.updateStatus(), failing)
    expect(out.pebbleCalls.map((call) => call.method)).not.toContain('replan')
    expect(out.state.unitStatus).toEqual({
      name: 'waiting',
      message: 'Workload not ready: check "ready" failing (3 failures)',
    })
    const recovered = withWeb(out.state, (web) => (web.checks = { ready: { status: 'up' } }))
    const again = await ctx.run(on.updateStatus(), recovered)
    expect(again.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('reads it on a Pebble check hook too, and on no other quiet hook', async () => {
    const failing = withWeb(await settled(), (web) => (web.checks = { ready: { status: 'down' } }))
    const check = await ctx.run(on.hook('web-pebble-check-failed'), failing)
    expect(check.state.unitStatus.name).toBe('waiting')
    const start = await ctx.run(on.start(), failing)
    expect(start.pebbleCalls.map((call) => call.method)).not.toContain('getChecks')
    expect(start.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('keeps the unit active, with a warning, when Pebble fails while the health is read', async () => {
    const state = await settled()
    const records = {
      logs: [] as { level: string; message: string }[],
      unitStatusHistory: [],
      appStatusHistory: [],
      actionResults: {},
      actionFailed: null,
      actionLogs: [],
      calls: [] as { tool: string; args: unknown[] }[],
    }
    const identity = { appName: 'example', unitName: 'example/0', modelUuid: 'u', actionParams: {} }
    const web = new FakePebble(state.containers[0]!, [], [])
    web.getServices = () => Promise.reject(new Error('socket closed'))
    const outcome = await runHook(exampleCharm({ connectWorkload: () => web }), {
      env: {
        JUJU_DISPATCH_PATH: 'hooks/update-status',
        JUJU_UNIT_NAME: 'example/0',
        JUJU_MODEL_NAME: 'm',
        JUJU_MODEL_UUID: 'u',
        JUJU_VERSION: '3.6.14',
      },
      tools: createFakeTools(state, identity, records),
      store: new MemoryStore(structuredClone(state.storedLog)),
    })
    expect(outcome.exitCode).toBe(0)
    expect(records.logs).toContainEqual({
      level: 'WARNING',
      message: 'charm-machine: web: health not read: socket closed',
    })
    expect(records.calls.filter((call) => call.tool === 'status-set')).toEqual([])
  })
})

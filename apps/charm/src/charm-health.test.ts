import { on, type State } from '@webhook-router/charm-machine/testing'
import { describe, expect, it } from 'vitest'
import { context, readyState } from './test-support/harness.js'

const settled = async (): Promise<State> => {
  const out = await context().run(on.configChanged(), readyState())
  expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  return out.state
}

const withApp = (state: State, change: (app: State['containers'][number]) => void): State => {
  const copy = structuredClone(state)
  const app = copy.containers[0]
  if (app === undefined) throw new Error('no app container')
  change(app)
  return copy
}

describe('update-status and the workload health', () => {
  it('restarts webhook-router stopped from outside the charm, without re-adding the layer', async () => {
    const state = withApp(await settled(), (app) => (app.services['webhook-router'] = 'inactive'))
    const out = await context().run(on.updateStatus(), state)
    expect(out.exitCode).toBe(0)
    expect(out.unitStatusHistory).toContainEqual({
      name: 'maintenance',
      message: 'Restarting: webhook-router in app is inactive',
    })
    const methods = out.pebbleCalls.map((call) => call.method)
    expect(methods).toContain('replan')
    expect(methods).not.toContain('addLayer')
    expect(out.execHistory['app'] ?? []).toEqual([])
    expect(out.state.containers[0]?.services['webhook-router']).toBe('active')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('blocks with the reason, and retries next time, when the stopped service will not start', async () => {
    const state = withApp(await settled(), (app) => {
      app.services['webhook-router'] = 'error'
      app.failingServices = { 'webhook-router': 'exited quickly with code 1' }
    })
    const out = await context().run(on.updateStatus(), state)
    expect(out.exitCode).toBe(0)
    expect(out.state.unitStatus.name).toBe('blocked')
    expect(out.state.unitStatus.message).toContain('exited quickly with code 1')
  })

  it('waits, naming the failing ready check, and does not restart a running service', async () => {
    const state = withApp(await settled(), (app) => {
      app.checks = { 'webhook-router-ready': { status: 'down', failures: 4 } }
    })
    const out = await context().run(on.updateStatus(), state)
    expect(out.pebbleCalls.map((call) => call.method)).not.toContain('replan')
    expect(out.state.unitStatus).toEqual({
      name: 'waiting',
      message: 'Workload not ready: check "webhook-router-ready" failing (4 failures)',
    })
    expect(out.state.appStatus).toEqual(out.state.unitStatus)
  })
})

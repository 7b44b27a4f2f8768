import { describe, expect, it } from 'vitest'
import { exampleCharm } from '../__fixtures__/example-charm.js'
import { exampleRelatedState } from '../__fixtures__/example-state.js'
import { Context, on } from '../testing/index.js'
import type { RunOutput } from '../testing/index.js'
import { STATUS_MEMO_KEYS } from './index.js'

const ctx = new Context(exampleCharm(), { appName: 'example', modelName: 'prod' })

const state = exampleRelatedState

const toolsOf = (out: RunOutput): string[] =>
  out.calls.map((call) =>
    call.tool === 'status-set' ? `status-set ${JSON.stringify(call.args)}` : call.tool,
  )

/** A unit that has settled (active) and run one more update-status since. */
async function settled(input = state()): Promise<RunOutput> {
  const first = await ctx.run(on.configChanged(), input)
  expect(first.state.unitStatus).toEqual({ name: 'active', message: '' })
  return ctx.run(on.updateStatus(), first.state)
}

describe('statuses and remote apps across dispatches', () => {
  it('makes no status-set, relation-list --app or juju-log call on a settled update-status', async () => {
    const out = await ctx.run(on.updateStatus(), (await settled()).state)
    expect(out.exitCode).toBe(0)
    // The reads run concurrently, so their order is not fixed; the multiset is.
    expect(toolsOf(out).sort()).toEqual([
      'config-get',
      'is-leader',
      'relation-get',
      'relation-get',
      'relation-get',
      'relation-get',
      'relation-ids',
      'relation-ids',
      'relation-ids',
    ])
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(out.state.appStatus).toEqual({ name: 'active', message: '' })
  })

  it('remembers the remote app of each relation after asking once', async () => {
    const first = await ctx.run(on.configChanged(), state())
    expect(first.calls.filter((call) => call.tool === 'relation-list')).toHaveLength(2)
    expect(first.state.storedLog.memo).toMatchObject({
      'remote-app.db:7': 'mongodb-k8s',
      'remote-app.ingress:9': 'traefik',
    })
  })

  it('forgets the remote app of a relation that is gone', async () => {
    const input = (await settled()).state
    input.relations = input.relations.filter((candidate) => candidate.endpoint !== 'ingress')
    const out = await ctx.run(on.updateStatus(), input)
    expect(out.state.storedLog.memo?.['remote-app.ingress:9']).toBeUndefined()
    expect(out.state.storedLog.memo?.['remote-app.db:7']).toBe('mongodb-k8s')
  })

  it('sets the status again when it differs from the one this unit last set', async () => {
    const input = (await settled()).state
    input.relations = input.relations.filter((candidate) => candidate.endpoint !== 'db')
    const out = await ctx.run(on.updateStatus(), input)
    expect(out.state.unitStatus).toEqual({ name: 'blocked', message: 'missing integrations: db' })
    expect(out.state.appStatus).toEqual(out.state.unitStatus)
  })

  it.each(['upgrade-charm', 'start', 'leader-elected'])(
    'sets both statuses on %s even when nothing changed',
    async (hook) => {
      const out = await ctx.run(on.hook(hook), (await settled()).state)
      expect(toolsOf(out)).toContain('status-set ["active","",{}]')
      expect(toolsOf(out)).toContain('status-set ["active","",{"application":true}]')
    },
  )

  it('sets the app status once this unit becomes leader', async () => {
    const follower = await settled(state({ leader: false }))
    expect(follower.state.storedLog.memo?.[STATUS_MEMO_KEYS.app]).toBeUndefined()
    const input = { ...follower.state, leader: true }
    const out = await ctx.run(on.updateStatus(), input)
    expect(out.state.appStatus).toEqual({ name: 'active', message: '' })
  })

  it('sets the statuses after a failed hook, which leaves no memo behind', async () => {
    const before = (await settled()).state
    const failing = new Context(
      { ...exampleCharm(), beforeDispatch: async () => Promise.reject(new Error('boom')) },
      { appName: 'example', modelName: 'prod' },
    )
    const failed = await failing.run(on.updateStatus(), before)
    expect(failed.exitCode).toBe(1)
    expect(failed.state.storedLog.memo).toBeUndefined()
    const retried = await ctx.run(on.updateStatus(), failed.state)
    expect(retried.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(toolsOf(retried)).toContain('relation-list')
  })

  it('sets the status on every step of a hook that changes something', async () => {
    const input = (await settled()).state
    input.config = { mode: 'a' }
    const out = await ctx.run(on.configChanged(), input)
    expect(out.unitStatusHistory.map((status) => status.name)).toContain('maintenance')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
    expect(out.logs.some((line) => line.level === 'DEBUG')).toBe(true)
  })

  it('ignores a damaged status memo and sets the status', async () => {
    const input = (await settled()).state
    input.storedLog.memo = { ...input.storedLog.memo, [STATUS_MEMO_KEYS.unit]: '{not json' }
    const out = await ctx.run(on.updateStatus(), input)
    expect(toolsOf(out)).toContain('status-set ["active","",{}]')
    expect(toolsOf(out)).not.toContain('status-set ["active","",{"application":true}]')
  })
})

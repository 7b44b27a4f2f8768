import type { HookTools } from '@webhook-router/charm-machine/juju'
import { hookToolError } from '@webhook-router/charm-machine/juju'
import { on, type RunOutput, type State } from '@webhook-router/charm-machine/testing'
import { describe, expect, it } from 'vitest'
import { context, readyState } from './test-support/harness.js'

const LOST = 'ERROR connection is shut down\n'

/** Hook tools where the calls `matches` picks fail as Juju's do when the controller is gone. */
function failing(
  method: keyof HookTools,
  matches: (args: unknown[]) => boolean = () => true,
  stderr = LOST,
  tool = 'relation-get',
): (tools: HookTools) => HookTools {
  return (tools) => ({
    ...tools,
    [method]: async (...args: unknown[]) => {
      if (matches(args)) throw hookToolError(tool, 1, stderr)
      return (tools[method] as (...forwarded: unknown[]) => Promise<unknown>)(...args)
    },
  })
}

const settled = async (): Promise<State> => {
  const out = await context().run(on.configChanged(), readyState())
  expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  return out.state
}

/** What a hook that failed on a hook tool must (not) have done. */
function expectFailedHookChangedNothing(out: RunOutput, hook: string, line: string): void {
  expect(out.exitCode).toBe(1)
  expect(out.error).toBe(`charm-machine: hook ${hook} failed: ${line}`)
  expect(out.logs.filter((log) => log.level === 'ERROR')).toEqual([
    { level: 'ERROR', message: out.error },
  ])
  expect(out.calls.filter((call) => call.tool === 'status-set')).toEqual([])
  expect(out.pebbleCalls.map((call) => call.method)).not.toContain('stop')
  expect(out.state.containers[0]?.services['webhook-router']).toBe('active')
  expect(out.state.unitStatus).toEqual({ name: 'error', message: `hook failed: "${hook}"` })
}

describe('a hook tool that fails fails the hook, and changes neither status nor workload', () => {
  it('relation-get of the mongodb provider bag on update-status', async () => {
    const state = await settled()
    const out = await context(
      {},
      { wrapTools: failing('relationGet', ([ref]) => String(ref).startsWith('mongodb:')) },
    ).run(on.updateStatus(), state)
    expectFailedHookChangedNothing(
      out,
      'update-status',
      'relation-get failed (exit 1): connection is shut down',
    )
  })

  it('relation-get of the secret-storage peer bag on update-status', async () => {
    const state = await settled()
    const out = await context(
      {},
      { wrapTools: failing('relationGet', ([ref]) => String(ref).startsWith('secret-storage:')) },
    ).run(on.updateStatus(), state)
    expectFailedHookChangedNothing(
      out,
      'update-status',
      'relation-get failed (exit 1): connection is shut down',
    )
  })

  it('relation-list of the provider app on update-status without a memo', async () => {
    const state = await settled()
    delete state.storedLog.memo
    const out = await context({}, { wrapTools: failing('relationRemoteApp') }).run(
      on.updateStatus(),
      state,
    )
    expect(out.exitCode).toBe(1)
    expect(out.calls.filter((call) => call.tool === 'status-set')).toEqual([])
    expect(out.state.containers[0]?.services['webhook-router']).toBe('active')
  })

  it('a transient secret-get of the database credentials on update-status', async () => {
    const state = await settled()
    const out = await context(
      {},
      { wrapTools: failing('secretGet', () => true, LOST, 'secret-get') },
    ).run(on.updateStatus(), state)
    expectFailedHookChangedNothing(
      out,
      'update-status',
      'secret-get failed (exit 1): connection is shut down',
    )
  })

  it('a transient secret-get inside the restart on config-changed', async () => {
    const state = await settled()
    let reads = 0
    // The facts read the secret first; the restart effect reads it again and fails.
    const out = await context(
      {},
      { wrapTools: failing('secretGet', () => ++reads > 1, LOST, 'secret-get') },
    ).run(on.configChanged(), { ...state, config: { ...state.config, 'log-level': 'DEBUG' } })
    expect(out.exitCode).toBe(1)
    expect(out.error).toBe(
      'charm-machine: hook config-changed failed: secret-get failed (exit 1): connection is shut down',
    )
    expect(
      out.calls.filter((call) => call.tool === 'status-set').map((call) => call.args[0]),
    ).not.toContain('blocked')
    expect(out.state.containers[0]?.services['webhook-router']).toBe('active')
  })

  it('open-port after the restart fails the hook instead of blocking the unit', async () => {
    const out = await context(
      {},
      { wrapTools: failing('openPort', () => true, LOST, 'open-port') },
    ).run(on.configChanged(), readyState())
    expect(out.exitCode).toBe(1)
    expect(out.error).toBe(
      'charm-machine: hook config-changed failed: open-port failed (exit 1): connection is shut down',
    )
    expect(out.state.unitStatus).toEqual({
      name: 'error',
      message: 'hook failed: "config-changed"',
    })
    expect(
      out.calls.filter((call) => call.tool === 'status-set').map((call) => call.args[0]),
    ).not.toContain('blocked')
  })

  it('relation-set of the new secret key fails the hook, so Juju retries it', async () => {
    const state = readyState({
      relations: readyState().relations.map((r) =>
        r.endpoint === 'secret-storage' ? { ...r, localAppData: {} } : r,
      ),
    })
    const storage = state.relations.find((r) => r.endpoint === 'secret-storage')
    if (storage === undefined) throw new Error('no peer relation')
    const out = await context(
      {},
      {
        wrapTools: failing(
          'relationSet',
          ([ref]) => String(ref).startsWith('secret-storage:'),
          LOST,
          'relation-set',
        ),
      },
    ).run(on.relationCreated(storage), state)
    expect(out.exitCode).toBe(1)
    expect(out.error).toContain('relation-set failed (exit 1): connection is shut down')
  })
})

describe('only "not found" and "permission denied" mean a secret is not readable yet', () => {
  for (const stderr of ['ERROR secret "mongouser0001" not found\n', 'ERROR permission denied\n']) {
    it(`waits for the provider on ${stderr.trim()}`, async () => {
      const out = await context(
        {},
        { wrapTools: failing('secretGet', () => true, stderr, 'secret-get') },
      ).run(on.configChanged(), readyState())
      expect(out.exitCode).toBe(0)
      expect(out.state.unitStatus).toEqual({
        name: 'waiting',
        message: 'Waiting for integrations: mongodb',
      })
    })
  }
})

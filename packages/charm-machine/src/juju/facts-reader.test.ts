import { describe, expect, it } from 'vitest'
import { exampleCharm } from '../__fixtures__/example-charm.js'
import { exampleRelatedState } from '../__fixtures__/example-state.js'
import { Context, on } from '../testing/index.js'
import type { HookTools } from './index.js'
import { hookToolError } from './index.js'

/** Hook tools whose `method` fails with `stderr` for the calls `matches` picks. */
function failing(
  method: keyof HookTools,
  tool: string,
  stderr: string,
  matches: (args: unknown[]) => boolean = () => true,
  code = 1,
): (tools: HookTools) => HookTools {
  return (tools) => ({
    ...tools,
    [method]: async (...args: unknown[]) => {
      if (matches(args)) throw hookToolError(tool, code, stderr)
      return (tools[method] as (...forwarded: unknown[]) => Promise<unknown>)(...args)
    },
  })
}

const context = (wrapTools?: (tools: HookTools) => HookTools) =>
  new Context(exampleCharm(), { appName: 'example', ...(wrapTools && { wrapTools }) })

const onDb = ([ref]: unknown[]) => String(ref).startsWith('db:')

describe('reading the facts', () => {
  it('fails the hook with one line, setting no status, when relation-get fails', async () => {
    const out = await context(
      failing('relationGet', 'relation-get', 'ERROR connection is shut down\n', onDb),
    ).run(on.updateStatus(), exampleRelatedState())
    expect(out.exitCode).toBe(1)
    expect(out.error).toBe(
      'charm-machine: hook update-status failed: relation-get failed (exit 1): connection is shut down',
    )
    expect(out.calls.filter((call) => call.tool === 'status-set')).toEqual([])
    expect(out.steps).toEqual([])
  })

  it('asks a required function with the config, and records its answer in the facts', async () => {
    const charm = exampleCharm()
    const seen: unknown[] = []
    charm.integrations['db'] = {
      kind: 'database',
      required: (config) => {
        seen.push(config['mode'])
        return config['mode'] !== 'no-db'
      },
    }
    const withoutDb = (mode: string) =>
      exampleRelatedState({
        config: { mode },
        relations: exampleRelatedState().relations.filter((r) => r.endpoint !== 'db'),
      })
    const ctx = new Context(charm, { appName: 'example' })
    const needed = await ctx.run(on.updateStatus(), withoutDb('db'))
    expect(needed.event?.facts.integrations['db']).toEqual({
      kind: 'database',
      required: true,
      status: 'absent',
    })
    expect(needed.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'missing integrations: db',
    })
    const optional = await ctx.run(on.updateStatus(), withoutDb('no-db'))
    expect(optional.event?.facts.integrations['db']?.required).toBe(false)
    // Past every gate: the example charm's config validation (which knows no `mode`) decides.
    expect(optional.state.unitStatus).toEqual({
      name: 'blocked',
      message: 'invalid options: mode',
    })
    expect(seen).toEqual(['db', 'no-db'])
  })

  it('reads the bag of a relation that is gone as empty, as ops does', async () => {
    const gone = 'ERROR invalid value "db:7" for option -r: relation not found\n'
    const out = await context(failing('relationGet', 'relation-get', gone, onDb, 2)).run(
      on.updateStatus(),
      exampleRelatedState(),
    )
    expect(out.exitCode).toBe(0)
    expect(out.event?.facts.integrations['db']?.status).toBe('pending')
  })

  it('fails the hook when relation-list of the remote app fails otherwise', async () => {
    const out = await context(
      failing('relationRemoteApp', 'relation-list', 'ERROR connection is shut down\n'),
    ).run(on.updateStatus(), exampleRelatedState())
    expect(out.exitCode).toBe(1)
    expect(out.calls.filter((call) => call.tool === 'status-set')).toEqual([])
  })

  it('takes a secret that is not found or not granted as not ready, and fails on any other error', async () => {
    const state = exampleRelatedState()
    state.relations[0]!.remoteAppData = { 'secret-user': 'secret:db-user' }
    const run = (stderr: string) =>
      context(failing('secretGet', 'secret-get', stderr)).run(on.updateStatus(), state)
    for (const stderr of ['ERROR secret "db-user" not found\n', 'ERROR permission denied\n']) {
      const out = await run(stderr)
      expect(out.exitCode).toBe(0)
      expect(out.event?.facts.integrations['db']?.status).toBe('pending')
    }
    const lost = await run('ERROR connection is shut down\n')
    expect(lost.exitCode).toBe(1)
    expect(lost.error).toContain('secret-get failed (exit 1): connection is shut down')
  })
})

import { MemoryStore } from '@webhook-router/charm-machine'
import { on, secret } from '@webhook-router/charm-machine/testing'
import { describe, expect, it } from 'vitest'
import { KEY, app, context, mongoSecret, readyState } from './test-support/harness.js'

const REDELIVER = ['webhook-router', 'redeliver']
const PARAMS = { since: 3600, 'github-path': 'canonical/repo', 'webhook-id': 42 }
const token = () => secret({ id: 'secret:token0001', trackedContent: { token: 'ghp_x' } })
const key = () => secret({ id: 'secret:appkey0001', trackedContent: { 'private-key': 'PEM' } })

function redeliverState(exec: { exitCode?: number; stdout?: string; stderr?: string }) {
  return readyState({
    secrets: [mongoSecret(), token(), key()],
    containers: [
      app({
        execs: [
          { commandPrefix: ['webhook-router', 'migrate'], exitCode: 0 },
          { commandPrefix: REDELIVER, ...exec },
        ],
      }),
    ],
  })
}

describe('redeliver-failed-webhooks', () => {
  it('runs webhook-router redeliver with the token and sets the result of its last stdout line', async () => {
    const state = redeliverState({ exitCode: 0, stdout: 'scanning\n{"redelivered": 3}\n' })
    const out = await context().run(
      on.action('redeliver-failed-webhooks', {
        ...PARAMS,
        'github-token-secret-id': 'secret:token0001',
      }),
      state,
    )
    expect(out.actionFailed).toBeNull()
    expect(out.actionResults).toEqual({ redelivered: '3' })
    const exec = out.execHistory['app']?.find((record) => record.command[1] === 'redeliver')
    expect(exec?.command).toEqual([
      ...REDELIVER,
      '--since',
      '3600',
      '--github-path',
      'canonical/repo',
      '--webhook-id',
      '42',
    ])
    expect(exec?.environment).toEqual({ GITHUB_TOKEN: 'ghp_x' })
  })

  it('passes GitHub App credentials and the API URL from config', async () => {
    const state = redeliverState({ exitCode: 0, stdout: '{"redelivered": 0}' })
    state.config = { ...state.config, 'github-api-url': 'https://ghe.example.com/api/v3' }
    const params = {
      ...PARAMS,
      'github-app-client-id': 'Iv1.abc',
      'github-app-installation-id': 7,
      'github-app-private-key-secret-id': 'secret:appkey0001',
    }
    const out = await context().run(on.action('redeliver-failed-webhooks', params), state)
    const exec = out.execHistory['app']?.find((record) => record.command[1] === 'redeliver')
    expect(exec?.environment).toEqual({
      GITHUB_APP_CLIENT_ID: 'Iv1.abc',
      GITHUB_APP_INSTALLATION_ID: '7',
      GITHUB_APP_PRIVATE_KEY: 'PEM',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3',
    })
  })

  it('fails with the reference message when a secret cannot be found', async () => {
    const out = await context().run(
      on.action('redeliver-failed-webhooks', {
        ...PARAMS,
        'github-token-secret-id': 'secret:nope',
      }),
      redeliverState({}),
    )
    expect(out.actionFailed).toBe(
      'Invalid action parameters passed: Could not access/find secret secret:nope',
    )
    expect(out.exitCode).toBe(0)
  })

  it('fails with the reference message when the secret lacks the field', async () => {
    const out = await context().run(
      on.action('redeliver-failed-webhooks', {
        ...PARAMS,
        'github-token-secret-id': 'secret:appkey0001',
      }),
      redeliverState({}),
    )
    expect(out.actionFailed).toBe(
      "Invalid action parameters passed: Secret secret:appkey0001 does not contain a field called 'token'.",
    )
  })

  it('reports argument errors from exit code 1 with their stderr', async () => {
    const out = await context().run(
      on.action('redeliver-failed-webhooks', PARAMS),
      redeliverState({
        exitCode: 1,
        stderr: 'GITHUB_TOKEN or the GitHub App settings are required\n',
      }),
    )
    expect(out.actionFailed).toBe(
      'Argument parsing failed. GITHUB_TOKEN or the GitHub App settings are required',
    )
  })

  it('reports GitHub errors with the generic message and logs stderr', async () => {
    const out = await context().run(
      on.action('redeliver-failed-webhooks', {
        ...PARAMS,
        'github-token-secret-id': 'secret:token0001',
      }),
      redeliverState({ exitCode: 2, stderr: 'Bad credentials\n' }),
    )
    expect(out.actionFailed).toBe(
      'Webhooks redelivery failed. Look at the juju logs for more information.',
    )
    expect(out.logs.some((line) => line.message.includes('Bad credentials'))).toBe(true)
  })

  it('fails clearly when the command prints no JSON result', async () => {
    const out = await context().run(
      on.action('redeliver-failed-webhooks', {
        ...PARAMS,
        'github-token-secret-id': 'secret:token0001',
      }),
      redeliverState({ exitCode: 0, stdout: 'not json' }),
    )
    expect(out.actionFailed).toBe(
      'Webhooks redelivery failed. Look at the juju logs for more information.',
    )
  })

  it('fails clearly when the workload container is unreachable', async () => {
    const state = redeliverState({})
    state.containers = [app({ canConnect: false })]
    const out = await context().run(
      on.action('redeliver-failed-webhooks', {
        ...PARAMS,
        'github-token-secret-id': 'secret:token0001',
      }),
      state,
    )
    expect(out.actionFailed).toBe(
      'The workload container is not reachable; retry once the unit is active.',
    )
    expect(out.exitCode).toBe(0)
  })

  it('rejects a github-path that is neither org nor org/repo', async () => {
    const out = await context().run(
      on.action('redeliver-failed-webhooks', { ...PARAMS, 'github-path': 'a/b/c' }),
      redeliverState({}),
    )
    expect(out.actionFailed).toMatch(/^Invalid action parameters passed: github-path: /)
  })
})

describe('rotate-secret-key', () => {
  it('replaces the key, reports success and restarts the workload with it', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const out = await context({ random: (size) => Buffer.alloc(size, 9) }).run(
      on.action('rotate-secret-key'),
      settled.state,
    )
    const rotated = Buffer.alloc(64, 9).toString('base64url')
    expect(out.actionResults).toEqual({ status: 'success' })
    expect(
      out.state.relations.find((r) => r.endpoint === 'secret-storage')?.localAppData[
        'app_secret_key'
      ],
    ).toBe(rotated)
    expect(
      out.state.containers[0]?.layers['webhook-router']?.services?.['webhook-router']
        ?.environment?.['APP_SECRET_KEY'],
    ).toBe(rotated)
    expect(out.pebbleCalls.map((call) => call.method)).toContain('replan')
  })

  it('refuses on a non-leader with the reference message', async () => {
    const out = await context().run(on.action('rotate-secret-key'), readyState({ leader: false }))
    expect(out.actionFailed).toBe('only leader unit can rotate secret key')
    expect(
      out.state.relations.find((r) => r.endpoint === 'secret-storage')?.localAppData[
        'app_secret_key'
      ],
    ).toBe(KEY)
  })

  it('refuses while the peer relation does not exist', async () => {
    const state = readyState()
    state.relations = state.relations.filter((r) => r.endpoint !== 'secret-storage')
    const out = await context().run(on.action('rotate-secret-key'), state)
    expect(out.actionFailed).toBe('charm is still initializing')
  })
})

describe('show-history', () => {
  it('lists the last transitions from the event log', async () => {
    const first = await context().run(on.configChanged(), readyState())
    const store = new MemoryStore(structuredClone(first.state.storedLog))
    const out = await context({ historyStore: () => store }).run(
      on.action('show-history', { limit: 3 }),
      first.state,
    )
    expect(out.actionResults['count']).toBe('3')
    const lines = String(out.actionResults['history']).split('\n')
    expect(lines).toHaveLength(3)
    expect(lines.at(-1)).toMatch(/done restartWorkload: reconciling.restarting -> active$/)
  })

  it('returns an empty history for a unit with no log', async () => {
    const out = await context({ historyStore: () => new MemoryStore() }).run(
      on.action('show-history'),
      readyState(),
    )
    expect(out.actionResults).toEqual({ count: '0', history: '' })
  })
})

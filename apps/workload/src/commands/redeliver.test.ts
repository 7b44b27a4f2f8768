import { startGitHubDouble } from '@webhook-router/redelivery/testing'
import type { GitHubDouble } from '@webhook-router/redelivery/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createRedeliverCommand } from './redeliver.js'

const NOW = Date.parse('2026-11-28T08:00:00Z')
const repoHook = { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 }
const orgHook = { owner: 'octo-org', hookId: 1234 }

let github: GitHubDouble
beforeEach(async () => {
  github = await startGitHubDouble()
  for (const hook of [repoHook, orgHook]) {
    github.addHook(hook)
    github.addDelivery(hook, { id: 1, status: 'OK', deliveredAt: new Date(NOW - 30_000) })
    github.addDelivery(hook, {
      id: 2,
      status: 'failed to connect',
      deliveredAt: new Date(NOW - 20_000),
    })
    github.addDelivery(hook, {
      id: 3,
      status: 'Invalid HTTP Response: 503',
      deliveredAt: new Date(NOW - 10_000),
    })
  }
})
afterEach(async () => {
  await github.close()
})

async function redeliver(argv: string[], env: Record<string, string | undefined> = {}) {
  const stdout: string[] = []
  const stderr: string[] = []
  const code = await createRedeliverCommand({ now: () => NOW }).run({
    argv,
    env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: github.url, ...env },
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    stopSignal: new AbortController().signal,
  })
  return { code, stdout, stderr }
}

const args = (path: string) => ['--since', '60', '--github-path', path, '--webhook-id', '1234']

describe('webhook-router redeliver', () => {
  it.each([
    ['a repo hook', 'octo-org/octo-repo', 'repos/octo-org/octo-repo/hooks/1234'],
    ['an org hook', 'octo-org', 'orgs/octo-org/hooks/1234'],
  ])(
    'redelivers the failed deliveries of %s and prints {"redelivered": N} last',
    async (_name, path, hookKey) => {
      const { code, stdout, stderr } = await redeliver(args(path))
      expect(code).toBe(0)
      expect(stdout.at(-1)).toBe('{"redelivered": 2}')
      expect(github.attempts).toEqual([
        { hook: hookKey, deliveryId: 3 },
        { hook: hookKey, deliveryId: 2 },
      ])
      expect(stderr[0]).toMatch(
        /^scanning deliveries of .* hook 1234 since 2026-11-28T07:59:00.000Z/,
      )
      const hook = path === 'octo-org' ? orgHook : repoHook
      const guid = github.deliveries(hook).find((d) => d.id === 3)?.guid
      expect(stderr).toContain(
        `redelivered delivery 3 (guid ${guid}, delivered 2026-11-28T07:59:50.000Z, status "Invalid HTTP Response: 503")`,
      )
    },
  )

  it('shows what it would redeliver in a dry run and sends nothing', async () => {
    const { code, stdout, stderr } = await redeliver([...args('octo-org'), '--dry-run'])
    expect(code).toBe(0)
    expect(stdout).toEqual(['{"redelivered": 0, "would_redeliver": 2}'])
    expect(stderr.filter((line) => line.startsWith('would redeliver delivery'))).toHaveLength(2)
    expect(stderr.at(-1)).toBe(
      'scanned 3 deliveries in the window (1 page): 2 would redeliver, 1 skipped (1 succeeded)',
    )
    expect(github.attempts).toEqual([])
  })

  it.each([
    [['--github-path', 'octo-org', '--webhook-id', '1'], 'missing --since'],
    [
      ['--since', 'soon', '--github-path', 'octo-org', '--webhook-id', '1'],
      '--since must be whole seconds',
    ],
    [['--since', '-5', '--github-path', 'octo-org', '--webhook-id', '1'], '--since'],
    [['--since', '5', '--github-path', 'a/b/c', '--webhook-id', '1'], 'Invalid GitHub path'],
    [['--since', '5', '--github-path', 'octo-org', '--webhook-id', 'x'], 'Invalid webhook id'],
    [['--since', '5', '--bogus'], "unknown option '--bogus'"],
  ])('exits 1 with one line for the arguments %j', async (argv, message) => {
    const { code, stdout, stderr } = await redeliver(argv)
    expect(code).toBe(1)
    expect(stdout).toEqual([])
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toContain(message)
  })

  it('exits 1 naming the missing variables when the App credentials are incomplete', async () => {
    const { code, stderr } = await redeliver(args('octo-org'), {
      GITHUB_TOKEN: undefined,
      GITHUB_APP_CLIENT_ID: 'Iv1.x',
    })
    expect(code).toBe(1)
    expect(stderr).toEqual([
      "webhook-router redeliver: Incomplete GitHub App credentials: missing GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY. Run 'webhook-router redeliver --help' for usage.",
    ])
  })

  it('exits 1 when both a token and App variables are given', async () => {
    const { code, stderr } = await redeliver(args('octo-org'), { GITHUB_APP_INSTALLATION_ID: '1' })
    expect(code).toBe(1)
    expect(stderr[0]).toContain('not both')
    expect(stderr[0]).not.toContain('test-token')
  })

  it('exits 2 with one line on bad credentials', async () => {
    const { code, stdout, stderr } = await redeliver(args('octo-org'), {
      GITHUB_TOKEN: 'wrong-token',
    })
    expect(code).toBe(2)
    expect(stdout).toEqual([])
    expect(stderr.at(-1)).toMatch(
      /^webhook-router redeliver: The github client returned a Bad Credential error/,
    )
  })

  it('exits 2 naming the reset time when rate limited', async () => {
    github.failNext({ kind: 'rate-limit', resetAt: new Date('2026-11-28T09:00:00Z') })
    const { code, stderr } = await redeliver(args('octo-org'))
    expect(code).toBe(2)
    expect(stderr.at(-1)).toContain(
      'The github client is returning a Rate Limit Exceeded error while listing deliveries of octo-org hook 1234; the limit resets at 2026-11-28T09:00:00.000Z',
    )
  })

  it('exits 2 with one line on a GitHub server error', async () => {
    github.failNext({ kind: 'server-error' })
    const { code, stderr } = await redeliver(args('octo-org'))
    expect(code).toBe(2)
    expect(stderr.at(-1)).toBe(
      'webhook-router redeliver: The github client encountered an error while listing deliveries of octo-org hook 1234: HTTP 500: Server Error',
    )
  })

  it('exits 2 but still prints the count when GitHub refuses one redelivery', async () => {
    github.failNext(
      { kind: 'status', status: 422, message: 'Validation Failed' },
      { on: 'attempt' },
    )
    const { code, stdout, stderr } = await redeliver(args('octo-org'))
    expect(code).toBe(2)
    expect(stdout.at(-1)).toBe('{"redelivered": 1}')
    expect(stderr.at(-1)).toContain('GitHub refused to redeliver 1 delivery (listed above)')
  })

  it('accepts a window with a unit', async () => {
    const { code, stderr } = await redeliver([
      '--since',
      '2h',
      '--github-path',
      'octo-org',
      '--webhook-id',
      '1234',
      '--dry-run',
    ])
    expect(code).toBe(0)
    expect(stderr[0]).toContain('since 2026-11-28T06:00:00.000Z')
  })

  it('exits 2 saying it was interrupted when stopped mid-scan', async () => {
    const stop = new AbortController()
    stop.abort('SIGTERM')
    const stderr: string[] = []
    const code = await createRedeliverCommand({ now: () => NOW }).run({
      argv: args('octo-org'),
      env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: github.url },
      stdout: () => {},
      stderr: (line) => stderr.push(line),
      stopSignal: stop.signal,
    })
    expect(code).toBe(2)
    expect(stderr.at(-1)).toBe(
      'webhook-router redeliver: interrupted; deliveries listed above were redelivered',
    )
    expect(github.attempts).toEqual([])
  })

  it('prints its help with exit 0', async () => {
    const { code, stdout } = await redeliver(['--help'])
    expect(code).toBe(0)
    expect(stdout[0]).toContain('Usage: webhook-router redeliver --since <seconds>')
  })
})

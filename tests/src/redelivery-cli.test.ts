// `webhook-router redeliver` as a process: the charm action's exec contract (exit codes, the
// last stdout line, one-line stderr messages).
import { createTestAppKey, startGitHubDouble } from '@webhook-router/redelivery/testing'
import type { GitHubDouble } from '@webhook-router/redelivery/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { runCli } from './workload-harness.js'

const orgHook = { owner: 'octo-org', hookId: 99 }
const args = ['redeliver', '--since', '600', '--github-path', 'octo-org', '--webhook-id', '99']

let github: GitHubDouble
beforeEach(async () => {
  github = await startGitHubDouble()
  github.addHook(orgHook)
  github.addDelivery(orgHook, { status: 'failed to connect', deliveredAt: new Date() })
})
afterEach(async () => {
  await github.close()
})

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env['PATH'] ?? '',
  GITHUB_API_URL: github.url,
  GITHUB_TOKEN: 'test-token',
  ...extra,
})

describe('webhook-router redeliver (process)', () => {
  it('is listed in the top-level help', async () => {
    const result = await runCli(['--help'], env())
    expect(result.stdout).toMatch(
      /^ {2}redeliver +Ask GitHub to redeliver failed workflow_job webhooks$/m,
    )
  })

  it('prints {"redelivered": N} as the last stdout line and exits 0', async () => {
    const result = await runCli(args, env())
    expect(result.code).toBe(0)
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('{"redelivered": 1}')
    expect(github.attempts).toHaveLength(1)
  })

  it('authenticates as a GitHub App installation', async () => {
    const key = createTestAppKey()
    const app = await startGitHubDouble({
      tokens: [],
      app: { clientId: 'Iv23li.cli', installationId: 5, publicKey: key.publicKey },
    })
    try {
      app.addHook(orgHook)
      app.addDelivery(orgHook, { status: 'timed out', deliveredAt: new Date() })
      const result = await runCli(args, {
        PATH: process.env['PATH'] ?? '',
        GITHUB_API_URL: app.url,
        GITHUB_APP_CLIENT_ID: 'Iv23li.cli',
        GITHUB_APP_INSTALLATION_ID: '5',
        GITHUB_APP_PRIVATE_KEY: key.privateKey.replace(/\n/g, '\\n'),
      })
      expect(result.stderr).toContain('GitHub App')
      expect(result.code).toBe(0)
      expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('{"redelivered": 1}')
      expect(app.requests[0]?.path).toBe('/app/installations/5/access_tokens')
      expect(result.stderr).not.toContain('PRIVATE KEY')
    } finally {
      await app.close()
    }
  })

  it('exits 1 with one stderr line when an argument is missing', async () => {
    const result = await runCli(['redeliver', '--since', '600'], env())
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      "webhook-router redeliver: missing --github-path, --webhook-id. Run 'webhook-router redeliver --help' for usage.\n",
    )
  })

  it('exits 1 when no GitHub credentials are configured', async () => {
    const result = await runCli(args, { PATH: process.env['PATH'] ?? '' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'No GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_CLIENT_ID',
    )
  })

  it('exits 2 with one stderr line on bad credentials, without printing the token', async () => {
    const result = await runCli(args, env({ GITHUB_TOKEN: 'ghp_wrong_token_value' }))
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    const last = result.stderr.trimEnd().split('\n').at(-1)
    expect(last).toBe(
      'webhook-router redeliver: The github client returned a Bad Credential error while listing deliveries of octo-org hook 99: check GITHUB_TOKEN or the GitHub App variables',
    )
    expect(result.stderr).not.toContain('ghp_wrong_token_value')
  })

  it('exits 2 when GitHub cannot be reached', async () => {
    const result = await runCli(args, env({ GITHUB_API_URL: 'http://127.0.0.1:9' }))
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(
      /The github client encountered an error while listing deliveries of octo-org hook 99: no response/,
    )
  })
})

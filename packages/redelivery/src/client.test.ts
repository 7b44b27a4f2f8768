import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createGitHubClient } from './client.js'
import { redeliverFailedDeliveries } from './redeliver.js'
import { createTestAppKey } from './testing/app-jwt.js'
import { startGitHubDouble } from './testing/github-double.js'
import type { GitHubDouble } from './testing/github-double.js'

const key = createTestAppKey()
const hook = { owner: 'octo-org', hookId: 1234 }
const app = { clientId: 'Iv23li.test', installationId: 42 }
let github: GitHubDouble

beforeEach(async () => {
  github = await startGitHubDouble({ tokens: [], app: { ...app, publicKey: key.publicKey } })
  github.addHook(hook)
  github.addDelivery(hook, { id: 5, status: 'failed', deliveredAt: new Date() })
})
afterEach(async () => {
  await github.close()
})

function scanAs(privateKey: string, installationId = app.installationId) {
  const octokit = createGitHubClient(
    { kind: 'app', clientId: app.clientId, installationId, privateKey },
    { baseUrl: github.url },
  )
  return redeliverFailedDeliveries({ octokit, hook, sinceSeconds: 60, now: Date.now })
}

describe('createGitHubClient with a GitHub App', () => {
  it('exchanges a JWT signed with the App key for an installation token and uses it', async () => {
    const report = await scanAs(key.privateKey)
    expect(report.redelivered.map((d) => d.id)).toEqual([5])
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /app/installations/42/access_tokens',
      'GET /orgs/octo-org/hooks/1234/deliveries',
      'POST /orgs/octo-org/hooks/1234/deliveries/5/attempts',
    ])
  })

  it('reuses the installation token for later requests', async () => {
    const octokit = createGitHubClient(
      { kind: 'app', ...app, privateKey: key.privateKey },
      { baseUrl: github.url },
    )
    for (let i = 0; i < 2; i += 1) {
      await redeliverFailedDeliveries({
        octokit,
        hook,
        sinceSeconds: 60,
        now: Date.now,
        dryRun: true,
      })
    }
    expect(github.requests.filter((r) => r.path.startsWith('/app/'))).toHaveLength(1)
  })

  it('reports bad credentials when the JWT is signed with another key', async () => {
    const error = await scanAs(createTestAppKey().privateKey).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'bad-credentials' })
    expect(github.attempts).toEqual([])
  })

  it('reports a GitHub error for an unknown installation', async () => {
    const error = await scanAs(key.privateKey, 7).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'github', status: 404 })
  })
})

describe('createGitHubClient with a token', () => {
  it('sends the token and reports a wrong one as bad credentials', async () => {
    const octokit = createGitHubClient({ kind: 'token', token: 'wrong' }, { baseUrl: github.url })
    await expect(
      redeliverFailedDeliveries({ octokit, hook, sinceSeconds: 60, now: Date.now }),
    ).rejects.toMatchObject({ kind: 'bad-credentials', status: 401 })
  })

  it('uses an injected fetch', async () => {
    const seen: string[] = []
    const octokit = createGitHubClient(
      { kind: 'token', token: 'test-token' },
      {
        baseUrl: 'https://api.example.test',
        fetch: async (input) => {
          seen.push(String(input))
          return new Response('[]', { headers: { 'content-type': 'application/json' } })
        },
      },
    )
    const report = await redeliverFailedDeliveries({
      octokit,
      hook,
      sinceSeconds: 60,
      now: Date.now,
    })
    expect(report.scanned).toBe(0)
    expect(seen).toEqual([
      'https://api.example.test/orgs/octo-org/hooks/1234/deliveries?per_page=100',
    ])
  })
})

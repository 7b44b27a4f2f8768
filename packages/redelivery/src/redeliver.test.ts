import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createGitHubClient } from './client.js'
import { RedeliveryError } from './errors.js'
import type { HookAddress } from './hook-address.js'
import { redeliverFailedDeliveries } from './redeliver.js'
import type { RedeliverOptions } from './redeliver.js'
import { startGitHubDouble } from './testing/github-double.js'
import type { GitHubDouble } from './testing/github-double.js'

const NOW = Date.parse('2026-11-28T08:00:00Z')
/** `(id, status, age in seconds)`, listed newest first as in the reference's inventory. */
type Fixture = readonly [id: number, status: string, ageSeconds: number]

const addresses: readonly [string, HookAddress][] = [
  ['a repo hook', { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 }],
  ['an org hook', { owner: 'octo-org', hookId: 1234 }],
]

let github: GitHubDouble
beforeEach(async () => {
  github = await startGitHubDouble()
})
afterEach(async () => {
  await github.close()
})

function seed(
  hook: HookAddress,
  fixtures: readonly Fixture[],
  extra: { event?: string; action?: string } = {},
) {
  github.addHook(hook)
  // Added oldest first so that equal timestamps keep the listed (newest-first) order.
  for (const [id, status, age] of [...fixtures].reverse()) {
    github.addDelivery(hook, { id, status, deliveredAt: new Date(NOW - age * 1000), ...extra })
  }
}

function run(hook: HookAddress, sinceSeconds: number, options: Partial<RedeliverOptions> = {}) {
  const octokit = createGitHubClient(
    { kind: 'token', token: 'test-token' },
    { baseUrl: github.url },
  )
  return redeliverFailedDeliveries({ octokit, hook, sinceSeconds, now: () => NOW, ...options })
}

const ids = (report: { redelivered: readonly { id: number }[] }) =>
  report.redelivered.map((d) => d.id)

describe.each(addresses)('redeliverFailedDeliveries on %s (reference inventory)', (_name, hook) => {
  const cases: readonly [string, readonly Fixture[], number, number[]][] = [
    ['no deliveries redelivers nothing', [], 5, []],
    ['a failure inside the window is redelivered', [[1, 'failed', 4]], 5, [1]],
    ['a failure older than the window is not', [[1, 'failed', 4]], 3, []],
    ['a window of 0 excludes a 1-second-old failure', [[1, 'failed', 1]], 0, []],
    ['the boundary is inclusive: age 0 with since 0 is redelivered', [[1, 'failed', 0]], 0, [1]],
    ['a negative window excludes everything', [[1, 'failed', 0]], -1, []],
    [
      'every failure in the window is redelivered',
      [
        [1, 'failed', 4],
        [2, 'failed', 4],
      ],
      5,
      [1, 2],
    ],
    ['a successful delivery is not redelivered', [[1, 'OK', 4]], 5, []],
    [
      'only the failures among successes are redelivered',
      [
        [1, 'OK', 3],
        [2, 'OK', 3],
        [3, 'failed', 4],
      ],
      5,
      [3],
    ],
    [
      'the scan stops at the first delivery older than the window',
      [
        [1, 'OK', 3],
        [2, 'OK', 3],
        [3, 'failed', 4],
      ],
      2,
      [],
    ],
    [
      'nothing is redelivered when the failures are all too old',
      [
        [1, 'OK', 3],
        [2, 'OK', 3],
        [3, 'failed', 4],
        [4, 'failed', 3],
      ],
      1,
      [],
    ],
  ]

  it.each(cases)('%s', async (_title, fixtures, since, expected) => {
    seed(hook, fixtures)
    const report = await run(hook, since)
    expect(ids(report)).toEqual(expected)
  })

  it('posts one attempt per redelivered delivery on the hook path', async () => {
    seed(hook, [
      [1, 'failed', 4],
      [2, 'OK', 4],
      [3, 'failed', 4],
    ])
    const report = await run(hook, 5)
    const path =
      hook.repo === undefined ? 'orgs/octo-org/hooks/1234' : 'repos/octo-org/octo-repo/hooks/1234'
    expect(github.attempts).toEqual([
      { hook: path, deliveryId: 1 },
      { hook: path, deliveryId: 3 },
    ])
    expect(github.attempts).toHaveLength(report.redelivered.length)
  })

  it.each([
    ['completed', 'workflow_job'],
    ['in_progress', 'workflow_job'],
    ['waiting', 'workflow_job'],
    ['queued', 'push'],
    ['completed', 'push'],
    ['queued', 'workflow_run'],
  ])('does not redeliver a failed %s %s delivery', async (action, event) => {
    seed(
      hook,
      [
        [1, 'failed', 1],
        [2, 'failed', 2],
        [3, 'failed', 3],
      ],
      { action, event },
    )
    const report = await run(hook, 5)
    expect(report.redelivered).toEqual([])
    expect(report.skipped.map((d) => d.reason)).toEqual(
      Array(3).fill(event === 'workflow_job' ? 'not-queued' : 'not-workflow-job'),
    )
    expect(github.attempts).toEqual([])
  })

  it.each([
    [
      'bad-credentials',
      { kind: 'bad-credentials' } as const,
      'The github client returned a Bad Credential error',
    ],
    [
      'rate-limited',
      { kind: 'rate-limit', resetAt: new Date('2026-11-28T09:00:00Z') } as const,
      'The github client is returning a Rate Limit Exceeded error',
    ],
    ['github', { kind: 'server-error' } as const, 'The github client encountered an error'],
  ])(
    'fails with a %s RedeliveryError when listing fails that way',
    async (kind, failure, message) => {
      seed(hook, [[1, 'failed', 1]])
      github.failNext(failure, { on: 'list' })
      const error = await run(hook, 5).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RedeliveryError)
      expect(error).toMatchObject({ kind })
      expect((error as Error).message).toContain(message)
      expect(github.attempts).toEqual([])
    },
  )

  it('names the reset time of a rate limit', async () => {
    seed(hook, [[1, 'failed', 1]])
    github.failNext({ kind: 'rate-limit', resetAt: new Date('2026-11-28T09:00:00Z') })
    const error = (await run(hook, 5).catch((e: unknown) => e)) as RedeliveryError
    expect(error.resetAt?.toISOString()).toBe('2026-11-28T09:00:00.000Z')
    expect(error.message).toContain('resets at 2026-11-28T09:00:00.000Z')
  })

  it('rejects a delivery without an event, naming the missing field', async () => {
    github.addHook(hook)
    github.addDelivery(
      hook,
      { id: 7, status: 'failed', deliveredAt: new Date(NOW) },
      { event: null },
    )
    const error = await run(hook, 5).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'invalid-delivery' })
    expect((error as Error).message).toBe('Delivery 7 is missing required fields: event')
  })
})

describe('redeliverFailedDeliveries', () => {
  const hook: HookAddress = { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 }

  it('follows the Link cursor across pages until the window ends', async () => {
    await github.close()
    github = await startGitHubDouble({ maxPageSize: 2 })
    seed(hook, [
      [1, 'failed', 1],
      [2, 'OK', 2],
      [3, 'failed', 3],
      [4, 'OK', 4],
      [5, 'failed', 5],
      [6, 'failed', 50],
    ])
    const report = await run(hook, 10)
    expect(ids(report)).toEqual([1, 3, 5])
    expect(report.pages).toBe(3)
    expect(report.scanned).toBe(5)
    const cursors = github.requests.filter((r) => r.method === 'GET').map((r) => r.query['cursor'])
    expect(cursors).toEqual([undefined, 'v1_3', 'v1_5'])
  })

  it('does not fetch the next page once a delivery is older than the window', async () => {
    await github.close()
    github = await startGitHubDouble({ maxPageSize: 2 })
    seed(hook, [
      [1, 'failed', 1],
      [2, 'failed', 30],
      [3, 'failed', 40],
    ])
    const report = await run(hook, 10)
    expect(report.pages).toBe(1)
    expect(ids(report)).toEqual([1])
  })

  it('refuses to follow a next-page link to another host', async () => {
    const seen: string[] = []
    const octokit = createGitHubClient(
      { kind: 'token', token: 'test-token' },
      {
        baseUrl: 'https://api.github.test',
        fetch: async (input) => {
          seen.push(String(input))
          const item = {
            id: 1,
            status: 'failed',
            delivered_at: new Date(NOW).toISOString(),
            event: 'workflow_job',
            action: 'queued',
          }
          return new Response(JSON.stringify([item]), {
            headers: {
              'content-type': 'application/json',
              link: '<https://evil.test/next>; rel="next"',
            },
          })
        },
      },
    )
    const error = await redeliverFailedDeliveries({
      octokit,
      hook,
      sinceSeconds: 5,
      now: () => NOW,
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'github' })
    expect((error as Error).message).toContain('the next page link leaves https://api.github.test')
    expect(seen).toHaveLength(1)
  })

  it('redelivers nothing in a dry run but reports what it would redeliver', async () => {
    seed(hook, [
      [1, 'failed', 1],
      [2, 'OK', 2],
    ])
    const report = await run(hook, 5, { dryRun: true })
    expect(report.dryRun).toBe(true)
    expect(ids(report)).toEqual([1])
    expect(github.attempts).toEqual([])
  })

  it('skips a failed delivery whose webhook was later delivered successfully', async () => {
    github.addHook(hook)
    github.addDelivery(hook, {
      id: 1,
      guid: 'g',
      status: 'failed',
      deliveredAt: new Date(NOW - 3000),
    })
    github.addDelivery(hook, {
      id: 2,
      guid: 'g',
      status: 'OK',
      redelivery: true,
      deliveredAt: new Date(NOW - 1000),
    })
    const report = await run(hook, 5)
    expect(report.redelivered).toEqual([])
    expect(report.skipped.map((d) => [d.id, d.reason])).toEqual([
      [2, 'succeeded'],
      [1, 'webhook-already-delivered'],
    ])
  })

  it('redelivers a webhook that failed several times only once, through its newest attempt', async () => {
    github.addHook(hook)
    github.addDelivery(hook, {
      id: 1,
      guid: 'g',
      status: 'failed',
      deliveredAt: new Date(NOW - 3000),
    })
    github.addDelivery(hook, {
      id: 2,
      guid: 'g',
      status: 'failed',
      redelivery: true,
      deliveredAt: new Date(NOW - 1000),
    })
    const report = await run(hook, 5)
    expect(ids(report)).toEqual([2])
    expect(report.skipped.map((d) => [d.id, d.reason])).toEqual([[1, 'superseded']])
  })

  it('does not offer older attempts of a webhook to the filter once it vetoed the newest', async () => {
    github.addHook(hook)
    github.addDelivery(hook, {
      id: 1,
      guid: 'g',
      status: 'failed',
      deliveredAt: new Date(NOW - 3000),
    })
    github.addDelivery(hook, {
      id: 2,
      guid: 'g',
      status: 'failed',
      deliveredAt: new Date(NOW - 1000),
    })
    const offered: number[] = []
    const report = await run(hook, 5, {
      filter: (d) => {
        offered.push(d.id)
        return 'attempt-limit'
      },
    })
    expect(offered).toEqual([2])
    expect(report.skipped.map((d) => [d.id, d.reason])).toEqual([
      [2, 'attempt-limit'],
      [1, 'superseded'],
    ])
  })

  it('lets the filter veto a selected delivery', async () => {
    seed(hook, [
      [1, 'failed', 1],
      [2, 'failed', 2],
    ])
    const report = await run(hook, 5, { filter: (d) => (d.id === 2 ? 'attempt-limit' : undefined) })
    expect(ids(report)).toEqual([1])
    expect(report.skipped).toMatchObject([{ id: 2, reason: 'attempt-limit' }])
  })

  it('reports a 422 on one attempt as failed and goes on with the others', async () => {
    seed(hook, [
      [1, 'failed', 1],
      [2, 'failed', 2],
    ])
    github.failNext(
      { kind: 'status', status: 422, message: 'Validation Failed' },
      { on: 'attempt' },
    )
    const report = await run(hook, 5)
    expect(report.failed.map((d) => d.id)).toEqual([1])
    expect(report.failed[0]?.error.message).toContain('HTTP 422: Validation Failed')
    expect(ids(report)).toEqual([2])
  })

  it('stops the whole scan when an attempt hits the rate limit', async () => {
    seed(hook, [
      [1, 'failed', 1],
      [2, 'failed', 2],
    ])
    github.failNext({ kind: 'rate-limit', resetAt: new Date(NOW + 60_000) }, { on: 'attempt' })
    await expect(run(hook, 5)).rejects.toMatchObject({ kind: 'rate-limited' })
    expect(github.attempts).toEqual([])
  })

  it('treats a 429 with retry-after as a rate limit and derives the reset time', async () => {
    seed(hook, [[1, 'failed', 1]])
    github.failNext({ kind: 'secondary-rate-limit', retryAfterSeconds: 30 })
    const error = (await run(hook, 5).catch((e: unknown) => e)) as RedeliveryError
    expect(error.kind).toBe('rate-limited')
    expect(error.resetAt?.getTime()).toBe(NOW + 30_000)
  })

  it('reports a 403 that is not a rate limit as a permission problem', async () => {
    seed(hook, [[1, 'failed', 1]])
    github.failNext({
      kind: 'status',
      status: 403,
      message: 'Resource not accessible by integration',
    })
    const error = (await run(hook, 5).catch((e: unknown) => e)) as RedeliveryError
    expect(error.kind).toBe('github')
    expect(error.message).toContain('HTTP 403: Resource not accessible by integration')
    expect(error.message).toContain('may administer webhooks')
  })

  it('reports an unknown hook as a GitHub error with a hint', async () => {
    github.addHook(hook)
    const error = (await run({ ...hook, hookId: 99 }, 5).catch(
      (e: unknown) => e,
    )) as RedeliveryError
    expect(error.kind).toBe('github')
    expect(error.message).toContain('listing deliveries of octo-org/octo-repo hook 99: HTTP 404')
  })

  it('reports an unreachable GitHub as a GitHub error', async () => {
    const unreachable = github.url
    await github.close()
    const octokit = createGitHubClient({ kind: 'token', token: 't' }, { baseUrl: unreachable })
    const error = (await redeliverFailedDeliveries({
      octokit,
      hook,
      sinceSeconds: 5,
      now: () => NOW,
    }).catch((e: unknown) => e)) as RedeliveryError
    expect(error.kind).toBe('github')
    expect(error.message).toMatch(
      /^The github client encountered an error while listing .*: no response/,
    )
    github = await startGitHubDouble()
  })

  it('rejects with the abort reason when the signal is already aborted', async () => {
    seed(hook, [[1, 'failed', 1]])
    const controller = new AbortController()
    controller.abort(new Error('stopping'))
    await expect(run(hook, 5, { signal: controller.signal })).rejects.toThrow('stopping')
    expect(github.requests).toEqual([])
  })

  it('emits progress for each page, skip and redelivery', async () => {
    seed(hook, [
      [1, 'failed', 1],
      [2, 'OK', 2],
    ])
    const events: string[] = []
    await run(hook, 5, { onProgress: (e) => events.push(e.type) })
    expect(events).toEqual(['page', 'skipped', 'redelivered'])
  })
})

import { parseArgs } from 'node:util'

import {
  createGitHubClient,
  describeHook,
  parseGitHubApiUrl,
  parseGitHubAuthEnv,
  parseHookAddress,
  redeliverFailedDeliveries,
  RedeliveryConfigError,
  RedeliveryError,
} from '@webhook-router/redelivery'
import type { RedeliveryProgress, RedeliveryReport } from '@webhook-router/redelivery'

import { redactSecrets } from '../config.js'
import { EXIT } from '../exit-codes.js'
import { HELP_OPTION, parseCommandArgs, usageMessage, UsageError } from './args.js'
import type { Command, CommandIo } from './types.js'

const HELP = `Usage: webhook-router redeliver --since <seconds> --github-path <org>|<org>/<repo>
                                 --webhook-id <id> [--dry-run]

Asks GitHub to redeliver the webhook's failed deliveries of queued workflow_job events from the
last <seconds>: deliveries whose status is not OK (the router was down, the queue unavailable,
a timeout). A webhook that was since delivered successfully is not sent again, and each webhook
is redelivered at most once per run. The router deduplicates by X-GitHub-Delivery, so running
this twice never queues a job twice.

Options:
  --since <seconds>     look-back window, in seconds or with a unit (90m, 6h, 3d); a
                        delivery exactly that old is included
  --github-path <path>  org (organisation webhook) or org/repo (repository webhook)
  --webhook-id <id>     the hook id (the X-GitHub-Hook-ID header of its webhooks)
  --dry-run             list what would be redelivered; send nothing
  -h, --help            show this help

Environment:
  GITHUB_TOKEN                 a token that may administer the webhook (admin:repo_hook /
                               admin:org_hook, or fine-grained "Webhooks: write"), or
  GITHUB_APP_CLIENT_ID         a GitHub App with "Webhooks: write" permission:
  GITHUB_APP_INSTALLATION_ID     all three App variables, never together with GITHUB_TOKEN
  GITHUB_APP_PRIVATE_KEY         (PEM; "\\n" escapes are accepted)
  GITHUB_API_URL               REST root (default https://api.github.com; GHES: https://HOST/api/v3)

Output: progress on stderr; the last stdout line is {"redelivered": N}
(a dry run prints {"redelivered": 0, "would_redeliver": N}).

Exit codes: 0 done, 1 invalid argument or GitHub credentials configuration,
2 GitHub error (bad credentials, rate limit, API error) or a refused redelivery.`

/** Effects of `redeliver`, replaceable in tests. */
export interface RedeliverDeps {
  /** Milliseconds since the epoch; the window ends here. */
  readonly now?: () => number
  readonly fetch?: typeof globalThis.fetch
}

/** Exit code for GitHub-side failures; the charm action tells it apart from 1 (bad arguments). */
const EXIT_GITHUB = 2

/**
 * Builds `webhook-router redeliver`, the CLI the charm's `redeliver-failed-webhooks` action runs.
 *
 * @example
 * // GITHUB_TOKEN=… webhook-router redeliver --since 3600 --github-path octo-org/octo-repo --webhook-id 1234
 * // stdout: {"redelivered": 2}
 */
export function createRedeliverCommand(deps: RedeliverDeps = {}): Command {
  return {
    name: 'redeliver',
    summary: 'Ask GitHub to redeliver failed workflow_job webhooks',
    help: HELP,
    async run(io) {
      try {
        return await redeliver(io, deps)
      } catch (error) {
        // Argument and credential problems are exit 1 here (the charm action's contract),
        // unlike the other commands' usage exit 2.
        if (error instanceof UsageError || error instanceof RedeliveryConfigError) {
          const message =
            error instanceof UsageError ? error.message : usageMessage('redeliver', error.message)
          io.stderr(clean(message, io))
          return EXIT.failure
        }
        if (error instanceof RedeliveryError) {
          io.stderr(`webhook-router redeliver: ${clean(error.message, io)}`)
          return EXIT_GITHUB
        }
        if (io.stopSignal.aborted) {
          io.stderr(
            'webhook-router redeliver: interrupted; deliveries listed above were redelivered',
          )
          return EXIT_GITHUB
        }
        throw error
      }
    },
  }
}

async function redeliver(io: CommandIo, deps: RedeliverDeps): Promise<number> {
  const { values } = parseCommandArgs('redeliver', 0, () =>
    parseArgs({
      args: [...io.argv],
      options: {
        ...HELP_OPTION,
        since: { type: 'string' },
        'github-path': { type: 'string' },
        'webhook-id': { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
      strict: true,
    }),
  )
  if (values.help) {
    io.stdout(HELP)
    return EXIT.ok
  }
  const missing = (['since', 'github-path', 'webhook-id'] as const).filter(
    (name) => values[name] === undefined,
  )
  if (missing.length > 0) {
    throw new UsageError(
      usageMessage('redeliver', `missing ${missing.map((name) => `--${name}`).join(', ')}`),
    )
  }
  const sinceSeconds = parseSince(values.since ?? '')
  const hook = parseHookAddress(values['github-path'] ?? '', values['webhook-id'] ?? '')
  const auth = parseGitHubAuthEnv(io.env)
  const baseUrl = parseGitHubApiUrl(io.env)
  const dryRun = values['dry-run'] ?? false
  const now = deps.now ?? Date.now

  io.stderr(
    `${dryRun ? 'dry run: ' : ''}scanning deliveries of ${describeHook(hook)} since ` +
      `${new Date(now() - sinceSeconds * 1000).toISOString()} (${baseUrl}, ${auth.kind === 'app' ? 'GitHub App' : 'token'})`,
  )
  const report = await redeliverFailedDeliveries({
    octokit: createGitHubClient(auth, { baseUrl, fetch: deps.fetch }),
    hook,
    sinceSeconds,
    now,
    dryRun,
    signal: io.stopSignal,
    onProgress: (event) => {
      const line = describeProgress(event)
      if (line !== undefined) io.stderr(line)
    },
  })
  io.stderr(summarise(report))
  if (dryRun) {
    io.stdout(`{"redelivered": 0, "would_redeliver": ${report.redelivered.length}}`)
    return EXIT.ok
  }
  io.stdout(`{"redelivered": ${report.redelivered.length}}`)
  if (report.failed.length > 0) {
    io.stderr(
      `webhook-router redeliver: GitHub refused to redeliver ${plural(report.failed.length, 'delivery', 'deliveries')} (listed above)`,
    )
    return EXIT_GITHUB
  }
  return EXIT.ok
}

const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }

/** Whole seconds, as the charm passes them, or with a unit for people: `90m`, `6h`, `3d`. */
function parseSince(text: string): number {
  const match = /^(\d{1,10})([smhd]?)$/.exec(text.trim())
  if (match === null) {
    throw new UsageError(
      usageMessage(
        'redeliver',
        `--since must be whole seconds, or a number with s, m, h or d, got '${text}'`,
      ),
    )
  }
  return Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? 1)
}

function describeProgress(event: RedeliveryProgress): string | undefined {
  switch (event.type) {
    case 'page':
      return `page ${event.page}: ${event.scanned} deliveries in the window so far`
    case 'redelivered': {
      const d = event.delivery
      const verb = event.dryRun ? 'would redeliver' : 'redelivered'
      return `${verb} delivery ${d.id} (guid ${d.guid ?? '?'}, delivered ${d.deliveredAt.toISOString()}, status "${d.status}")`
    }
    case 'failed':
      return `GitHub refused to redeliver delivery ${event.delivery.id}: ${event.delivery.error.message}`
    case 'skipped':
      return undefined
  }
}

function summarise(report: RedeliveryReport): string {
  const reasons = new Map<string, number>()
  for (const skipped of report.skipped)
    reasons.set(skipped.reason, (reasons.get(skipped.reason) ?? 0) + 1)
  const detail = [...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ')
  const verb = report.dryRun ? 'would redeliver' : 'redelivered'
  return (
    `scanned ${plural(report.scanned, 'delivery', 'deliveries')} in the window (${plural(report.pages, 'page', 'pages')}): ` +
    `${report.redelivered.length} ${verb}, ${report.skipped.length} skipped${detail ? ` (${detail})` : ''}` +
    (report.failed.length > 0 ? `, ${report.failed.length} refused` : '')
  )
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** One line, with the router's secrets and the GitHub credentials masked. */
function clean(message: string, io: CommandIo): string {
  let text = redactSecrets(message, io.env).split('\n')[0] ?? ''
  for (const name of ['GITHUB_TOKEN', 'GITHUB_APP_PRIVATE_KEY']) {
    const value = io.env[name]?.trim()
    if (value !== undefined && value.length >= 6) text = text.split(value).join('***')
  }
  return text
}

/** `webhook-router redeliver` with the real clock and fetch. */
export const redeliverCommand: Command = createRedeliverCommand()

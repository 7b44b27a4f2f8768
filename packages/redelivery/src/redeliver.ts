import type { DeliveryItem } from './deliveries.js'
import { nextPageUrl, parseDeliveryItem, parseDeliveryPage } from './deliveries.js'
import { RedeliveryError } from './errors.js'
import { toRedeliveryError } from './github-errors.js'
import type { GitHubClient } from './client.js'
import type { HookAddress } from './hook-address.js'
import { describeHook, hookPath } from './hook-address.js'

/** Why a delivery inside the window was not redelivered. */
export type SkipReason =
  /** GitHub recorded a 2xx answer for it. */
  | 'succeeded'
  /** Another delivery of the same webhook (same guid) succeeded. */
  | 'webhook-already-delivered'
  /** A newer failed delivery of the same webhook (guid) stands for it: one decision per webhook. */
  | 'superseded'
  /** The event is not `workflow_job`; the router ignores it anyway. */
  | 'not-workflow-job'
  /** The action is not `queued`; the router only queues `queued` jobs. */
  | 'not-queued'
  /** Refused by the caller's `filter` (automatic recovery's per-webhook attempt limit). */
  | 'attempt-limit'

/** A delivery as the report shows it. */
export interface DeliverySummary {
  readonly id: number
  readonly guid: string | undefined
  readonly deliveredAt: Date
  readonly status: string
  readonly event: string
  readonly action: string | undefined
}

export interface SkippedDelivery extends DeliverySummary {
  readonly reason: SkipReason
}

/** A redelivery GitHub refused with 400 or 422 (e.g. too old to redeliver); the scan went on. */
export interface FailedRedelivery extends DeliverySummary {
  readonly error: RedeliveryError
}

/** What one scan did. */
export interface RedeliveryReport {
  readonly hook: HookAddress
  /** Deliveries older than this were not looked at (inclusive boundary). */
  readonly since: Date
  readonly dryRun: boolean
  /** Deliveries inside the window that were examined. */
  readonly scanned: number
  /** List pages fetched. */
  readonly pages: number
  /** Redelivered, or in a dry run: would have been redelivered. Newest first. */
  readonly redelivered: readonly DeliverySummary[]
  readonly skipped: readonly SkippedDelivery[]
  readonly failed: readonly FailedRedelivery[]
}

/** Progress events, for the CLI's stderr and the server's log. */
export type RedeliveryProgress =
  | { readonly type: 'page'; readonly page: number; readonly scanned: number }
  | { readonly type: 'redelivered'; readonly delivery: DeliverySummary; readonly dryRun: boolean }
  | { readonly type: 'skipped'; readonly delivery: SkippedDelivery }
  | { readonly type: 'failed'; readonly delivery: FailedRedelivery }

export interface RedeliverOptions {
  readonly octokit: GitHubClient
  readonly hook: HookAddress
  /** Look-back window in seconds; a delivery exactly `sinceSeconds` old is still included. */
  readonly sinceSeconds: number
  /** Milliseconds since the epoch, read once at the start of the scan. */
  readonly now: () => number
  /** List and select only; POST nothing. */
  readonly dryRun?: boolean | undefined
  readonly onProgress?: ((event: RedeliveryProgress) => void) | undefined
  /** Stops the scan between and during requests; the promise rejects with the abort reason. */
  readonly signal?: AbortSignal | undefined
  /** Final say on a selected delivery: return a reason to skip it. */
  readonly filter?: ((delivery: DeliverySummary) => 'attempt-limit' | undefined) | undefined
  /** Page size asked of GitHub (max 100). */
  readonly perPage?: number | undefined
}

// A safety stop against a server whose cursor never ends: 1000 pages of 100 is far beyond
// GitHub's 3-day retention for any single hook we route.
const MAX_PAGES = 1000

/**
 * Lists a webhook's deliveries newest first (following the `Link` cursor), stops at the first
 * one older than `now − sinceSeconds`, and asks GitHub to redeliver every failed (`status` ≠
 * `OK`) `workflow_job`/`queued` delivery, once per webhook (guid): a webhook that already has a
 * successful delivery is skipped, and of several failed attempts only the newest is redelivered.
 *
 * @throws RedeliveryError for bad credentials, rate limits, GitHub errors while listing, any other
 * failed attempt, and malformed deliveries. A 400/422 on one attempt is reported in `failed`.
 *
 * @example
 * ```ts
 * const report = await redeliverFailedDeliveries({
 *   octokit: createGitHubClient({ kind: 'token', token }),
 *   hook: { owner: 'canonical', repo: 'my-repo', hookId: 1234 },
 *   sinceSeconds: 3600,
 *   now: Date.now,
 * })
 * console.log(report.redelivered.length)
 * ```
 */
export async function redeliverFailedDeliveries(
  options: RedeliverOptions,
): Promise<RedeliveryReport> {
  const { octokit, hook, signal } = options
  const dryRun = options.dryRun ?? false
  const emit = options.onProgress ?? (() => {})
  const nowMs = options.now()
  const since = new Date(nowMs - options.sinceSeconds * 1000)
  const base = hookPath(hook)
  const where = `listing deliveries of ${describeHook(hook)}`

  const inWindow: DeliveryItem[] = []
  let pages = 0
  let url: string | undefined = `GET ${base}/deliveries`
  let params: Record<string, unknown> = { per_page: options.perPage ?? 100 }
  const seenUrls = new Set<string>()
  while (url !== undefined && pages < MAX_PAGES) {
    signal?.throwIfAborted()
    seenUrls.add(url)
    const response = await call(
      () => octokit.request(url as string, { ...params, request: { signal } }),
      where,
      nowMs,
      signal,
    )
    pages += 1
    let reachedEnd = false
    for (const raw of parseDeliveryPage(response.data)) {
      const item = parseDeliveryItem(raw)
      if (item.deliveredAt.getTime() < since.getTime()) {
        reachedEnd = true
        break
      }
      inWindow.push(item)
    }
    emit({ type: 'page', page: pages, scanned: inWindow.length })
    const next = nextPageUrl(response.headers.link)
    assertSameOrigin(next, octokit.request.endpoint.DEFAULTS.baseUrl)
    url =
      reachedEnd || next === undefined || seenUrls.has(`GET ${next}`) ? undefined : `GET ${next}`
    params = {}
  }

  const { selected, skipped } = select(inWindow, options.filter)
  for (const delivery of skipped) emit({ type: 'skipped', delivery })

  const redelivered: DeliverySummary[] = []
  const failed: FailedRedelivery[] = []
  for (const delivery of selected) {
    signal?.throwIfAborted()
    if (!dryRun) {
      const what = `redelivering delivery ${delivery.id} of ${describeHook(hook)}`
      try {
        await call(
          () =>
            octokit.request(`POST ${base}/deliveries/${delivery.id}/attempts`, {
              request: { signal },
            }),
          what,
          nowMs,
          signal,
        )
      } catch (error) {
        if (!isPerDeliveryRefusal(error)) throw error
        const entry = { ...delivery, error }
        failed.push(entry)
        emit({ type: 'failed', delivery: entry })
        continue
      }
    }
    redelivered.push(delivery)
    emit({ type: 'redelivered', delivery, dryRun })
  }

  return { hook, since, dryRun, scanned: inWindow.length, pages, redelivered, skipped, failed }
}

/** The token goes wherever the `Link` header points, so it must stay on GitHub's own host. */
function assertSameOrigin(next: string | undefined, baseUrl: string): void {
  if (next === undefined || safeOrigin(next) === safeOrigin(baseUrl)) return
  throw new RedeliveryError(
    'github',
    `The github client encountered an error: the next page link leaves ${safeOrigin(baseUrl)}; not following it`,
  )
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'an unparsable URL'
  }
}

/** Groups by webhook (guid) so each webhook is redelivered at most once per scan. */
function select(
  items: readonly DeliveryItem[],
  filter: RedeliverOptions['filter'],
): { selected: DeliverySummary[]; skipped: SkippedDelivery[] } {
  const delivered = new Set<string>()
  for (const item of items)
    if (item.status === 'OK' && item.guid !== undefined) delivered.add(item.guid)

  // Webhooks whose newest failed delivery was already selected or vetoed by the filter.
  const decided = new Set<string>()
  const selected: DeliverySummary[] = []
  const skipped: SkippedDelivery[] = []
  for (const item of items) {
    const summary = summarise(item)
    const early = skipReason(item, delivered, decided)
    if (early !== undefined) {
      skipped.push({ ...summary, reason: early })
      continue
    }
    if (item.guid !== undefined) decided.add(item.guid)
    const vetoed = filter?.(summary)
    if (vetoed !== undefined) skipped.push({ ...summary, reason: vetoed })
    else selected.push(summary)
  }
  return { selected, skipped }
}

function skipReason(
  item: DeliveryItem,
  delivered: ReadonlySet<string>,
  decided: ReadonlySet<string>,
): SkipReason | undefined {
  if (item.status === 'OK') return 'succeeded'
  if (item.event !== 'workflow_job') return 'not-workflow-job'
  if (item.action !== 'queued') return 'not-queued'
  if (item.guid === undefined) return undefined
  if (delivered.has(item.guid)) return 'webhook-already-delivered'
  if (decided.has(item.guid)) return 'superseded'
  return undefined
}

function summarise(item: DeliveryItem): DeliverySummary {
  const { id, guid, deliveredAt, status, event, action } = item
  return { id, guid, deliveredAt, status, event, action }
}

/** A refusal that concerns this delivery only (e.g. 422: too old to redeliver). */
function isPerDeliveryRefusal(error: unknown): error is RedeliveryError {
  return (
    error instanceof RedeliveryError &&
    error.kind === 'github' &&
    (error.status === 400 || error.status === 422)
  )
}

async function call<T>(
  request: () => Promise<T>,
  what: string,
  nowMs: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  try {
    return await request()
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason
    throw toRedeliveryError(error, what, nowMs)
  }
}

import * as v from 'valibot'

/** The `workflow_job` actions GitHub sends; only `queued` leads to a queued job. */
export const workflowJobActions = ['queued', 'in_progress', 'completed', 'waiting'] as const
export type WorkflowJobAction = (typeof workflowJobActions)[number]

/** What the router reads from a `workflow_job` payload. */
export interface WorkflowJobEvent {
  readonly action: WorkflowJobAction
  /** `runs-on` labels as written in the workflow (not yet lowercased or stripped). */
  readonly labels: readonly string[]
  /** The REST job URL, normalised as pydantic's `HttpUrl` does (lowercase host, `/` path). */
  readonly url: string
  /** `workflow_job.id` when it is a positive safe integer; the job-level dedup key. */
  readonly jobId?: number | undefined
}

export type PayloadParse =
  | { readonly ok: true; readonly event: WorkflowJobEvent }
  | { readonly ok: false; readonly message: string }

const keyError = 'Could not parse webhook: '
const valueError = 'Failed to create Webhook object for webhook: '
// pydantic's HttpUrl refuses longer URLs; GitHub's job URLs are far shorter.
const maxUrlLength = 2083

const ValuesSchema = v.looseObject({
  labels: v.array(v.string('labels must be a list of strings'), 'labels must be a list of strings'),
  action: v.picklist(workflowJobActions, `action must be one of ${workflowJobActions.join(', ')}`),
  url: v.pipe(
    v.string('url must be an http(s) URL'),
    v.maxLength(maxUrlLength, `url must be at most ${maxUrlLength} characters`),
    v.check((url) => normaliseHttpUrl(url) !== undefined, 'url must be an http(s) URL'),
  ),
})

/**
 * Reads a `workflow_job` payload with the reference's checks and messages, in its order: the
 * keys first (`action`, `workflow_job`, `labels`, `url`), then their values. Unlike the
 * reference, messages never embed the payload, so each is one short line safe to answer with.
 *
 * @example
 * ```ts
 * const parsed = parseWorkflowJobPayload(JSON.parse(body))
 * if (!parsed.ok) return c.text(parsed.message, 400)
 * ```
 */
export function parseWorkflowJobPayload(payload: unknown): PayloadParse {
  if (!isRecord(payload)) {
    return { ok: false, message: `${keyError}payload is not a JSON object` }
  }
  if (!('action' in payload))
    return { ok: false, message: `${keyError}action key not found in payload` }
  if (!('workflow_job' in payload)) {
    return { ok: false, message: `${keyError}workflow_job key not found in payload` }
  }
  const job = payload.workflow_job
  if (!isRecord(job)) {
    return { ok: false, message: `${keyError}workflow_job is not a dict in payload` }
  }
  if (!('labels' in job))
    return { ok: false, message: `${keyError}labels key not found in payload` }
  if (!('url' in job)) return { ok: false, message: `${keyError}url key not found in payload` }
  if (job.labels === null) return { ok: false, message: `${valueError}Labels are missing` }
  const values = v.safeParse(ValuesSchema, {
    labels: job.labels,
    action: payload.action,
    url: job.url,
  })
  if (!values.success) {
    return { ok: false, message: `${valueError}${values.issues[0].message}` }
  }
  const { labels, action, url } = values.output
  return {
    ok: true,
    event: { action, labels, url: normaliseHttpUrl(url) as string, jobId: jobIdOf(job.id) },
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function normaliseHttpUrl(text: string): string | undefined {
  if (!URL.canParse(text)) return undefined
  const url = new URL(text)
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    return undefined
  }
  return url.href
}

function jobIdOf(id: unknown): number | undefined {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined
}

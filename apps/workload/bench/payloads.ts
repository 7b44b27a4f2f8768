import { createHmac, randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import type { RequestData } from 'autocannon'

/** Routes to each of the example flavours in turn (see examples/router.env). */
const LABEL_SETS = [
  ['self-hosted', 'linux', 'small', 'x64'],
  ['self-hosted', 'Linux', 'LARGE', 'x64'],
  ['self-hosted', 'linux', 'arm64', 'large'],
]

/** Stands in for the job id in the serialised templates; replaced on every request. */
const SENTINEL = '987654321987'

interface WebhookExample {
  action: string
  workflow_job: Record<string, unknown>
}

/** The real `workflow_job` `queued` payloads of `@octokit/webhooks-examples`. */
export function queuedExamples(): WebhookExample[] {
  const require = createRequire(import.meta.url)
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as {
    name: string
    examples: WebhookExample[]
  }[]
  const examples = index
    .find((event) => event.name === 'workflow_job')
    ?.examples.filter((example) => example.action === 'queued')
  if (!examples?.length) throw new Error('no workflow_job queued examples found')
  return examples
}

/**
 * Serialised example payloads, one per (example, label set), with the job id and the job URL's
 * id left as a sentinel, so a request costs a string replace instead of a JSON.stringify.
 */
function templates(): string[] {
  const out: string[] = []
  for (const example of queuedExamples()) {
    for (const labels of LABEL_SETS) {
      const job: Record<string, unknown> = { ...example.workflow_job, id: Number(SENTINEL), labels }
      job['url'] = String(job['url']).replace(/\/jobs\/\d+$/, `/jobs/${SENTINEL}`)
      out.push(JSON.stringify({ ...example, workflow_job: job }))
    }
  }
  return out
}

/** Module-wide, so job ids stay unique across the phases of one run. */
let sequence = 0

/**
 * Builds autocannon's `setupRequest`: every request gets a fresh job id, delivery id and
 * signature, so the router's dedup never short-circuits a publish.
 */
export function signedWebhookRequests(secret: string, path: string) {
  const bodies = templates()
  return (request: RequestData): RequestData => {
    sequence += 1
    const jobId = String(1_000_000_000 + sequence)
    const body = (bodies[sequence % bodies.length] ?? '').replaceAll(SENTINEL, jobId)
    return {
      ...request,
      method: 'POST',
      path,
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_job',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
    }
  }
}

/** Size of one signed body, for the report. */
export function examplePayloadBytes(): number {
  return Buffer.byteLength(templates()[0]?.replaceAll(SENTINEL, '1000000001') ?? '')
}

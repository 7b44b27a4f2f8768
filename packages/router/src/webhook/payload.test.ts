import { describe, expect, it } from 'vitest'
import { workflowJobPayload } from '../testing/workflow-job-payload.js'
import { parseWorkflowJobPayload } from './payload.js'

const url = 'https://api.github.com/repos/f/actions/jobs/8200803099'

function withJob(patch: Record<string, unknown>): Record<string, unknown> {
  const payload = workflowJobPayload({ url })
  return { ...payload, workflow_job: { ...(payload.workflow_job as object), ...patch } }
}

function messageOf(payload: unknown): string {
  const parsed = parseWorkflowJobPayload(payload)
  if (parsed.ok) throw new Error('expected a parse failure')
  return parsed.message
}

describe('parseWorkflowJobPayload', () => {
  it.each([
    ['queued', ['self-hosted', 'linux', 'arm64']],
    ['in_progress', ['ubuntu-latest']],
    ['completed', ['self-hosted', 'linux', 'amd']],
    ['waiting', ['self-hosted', 'k8s']],
  ])('reads a realistic %s payload', (action, labels) => {
    const parsed = parseWorkflowJobPayload(workflowJobPayload({ action, labels, url }))
    expect(parsed).toEqual({ ok: true, event: { action, labels, url, jobId: 8200803099 } })
  })

  it('normalises the job URL as pydantic HttpUrl does', () => {
    const parsed = parseWorkflowJobPayload(withJob({ url: 'HTTPS://API.Example.COM' }))
    expect(parsed.ok && parsed.event.url).toBe('https://api.example.com/')
  })

  it('leaves the job id out when it is not a positive safe integer', () => {
    for (const id of ['8200803099', 1e300, -1, 1.5, null]) {
      const parsed = parseWorkflowJobPayload(withJob({ id }))
      expect(parsed.ok && parsed.event.jobId).toBeUndefined()
    }
  })

  it.each([
    [{ action: 'invalid' }, 'action must be one of queued, in_progress, completed, waiting'],
    [{ action: null }, 'action must be one of queued, in_progress, completed, waiting'],
  ])('rejects %j with a value error', (patch, detail) => {
    expect(messageOf({ ...workflowJobPayload(), ...patch })).toBe(
      `Failed to create Webhook object for webhook: ${detail}`,
    )
  })

  it.each([
    [{ url: 'invalid' }, 'url must be an http(s) URL'],
    [{ url: null }, 'url must be an http(s) URL'],
    [{ url: 'ftp://example.com/job' }, 'url must be an http(s) URL'],
    [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'url must be at most 2083 characters'],
    [{ labels: null }, 'Labels are missing'],
    [{ labels: 'arm64' }, 'labels must be a list of strings'],
    [{ labels: ['arm64', 7] }, 'labels must be a list of strings'],
  ])('rejects workflow_job %j with a value error', (patch, detail) => {
    expect(messageOf(withJob(patch))).toBe(`Failed to create Webhook object for webhook: ${detail}`)
  })

  it('rejects a workflow_job that is not an object', () => {
    expect(messageOf({ action: 'queued', workflow_job: 'not a dict' })).toBe(
      'Could not parse webhook: workflow_job is not a dict in payload',
    )
  })

  it.each([
    ['action', (p: Record<string, unknown>) => delete p.action],
    ['workflow_job', (p: Record<string, unknown>) => delete p.workflow_job],
    [
      'labels',
      (p: Record<string, unknown>) => delete (p.workflow_job as Record<string, unknown>).labels,
    ],
    ['url', (p: Record<string, unknown>) => delete (p.workflow_job as Record<string, unknown>).url],
  ])('names the missing %s key without echoing the payload', (key, remove) => {
    const payload = workflowJobPayload()
    remove(payload)
    expect(messageOf(payload)).toBe(`Could not parse webhook: ${key} key not found in payload`)
  })

  it.each([null, 42, 'queued', [], [{ action: 'queued' }], true])(
    'rejects the JSON value %j as not an object',
    (payload) => {
      expect(messageOf(payload)).toBe('Could not parse webhook: payload is not a JSON object')
    },
  )

  it('rejects the body the reference integration test sends', () => {
    expect(messageOf({ payload: { action: 'queued' } })).toBe(
      'Could not parse webhook: action key not found in payload',
    )
  })
})

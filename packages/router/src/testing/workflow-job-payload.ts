/** Options for a fake `workflow_job` webhook payload. */
export interface WorkflowJobPayloadOptions {
  readonly action?: string
  readonly labels?: readonly string[]
  readonly jobId?: number
  readonly url?: string
  readonly repository?: string
}

/**
 * A `workflow_job` payload with every key GitHub sends, for tests of the router and of the
 * programs that embed it. The values follow GitHub's documented example.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(workflowJobPayload({ labels: ['self-hosted', 'linux', 'arm64'] }))
 * ```
 */
export function workflowJobPayload(
  options: WorkflowJobPayloadOptions = {},
): Record<string, unknown> {
  const {
    action = 'queued',
    labels = ['self-hosted', 'linux', 'arm64'],
    jobId = 8200803099,
    repository = 'octo-org/octo-repo',
  } = options
  const url = options.url ?? `https://api.github.com/repos/${repository}/actions/jobs/${jobId}`
  const [owner = 'octo-org'] = repository.split('/')
  return {
    action,
    workflow_job: {
      id: jobId,
      run_id: 2832853555,
      workflow_name: 'CI',
      head_branch: 'main',
      run_url: `https://api.github.com/repos/${repository}/actions/runs/2832853555`,
      run_attempt: 1,
      node_id: 'CR_kwDOA8n4o88AAAAE7pKdVw',
      head_sha: '85a0a1c6d1c1b1f0b6a3f1d1c1e1a1b1c1d1e1f1',
      url,
      html_url: `https://github.com/${repository}/actions/runs/2832853555/job/${jobId}`,
      status: action === 'completed' || action === 'in_progress' ? action : 'queued',
      conclusion: action === 'completed' ? 'success' : null,
      created_at: '2026-11-28T07:00:00Z',
      started_at: '2026-11-28T07:00:00Z',
      completed_at: null,
      name: 'build',
      steps: [],
      check_run_url: `https://api.github.com/repos/${repository}/check-runs/${jobId}`,
      labels: [...labels],
      runner_id: null,
      runner_name: null,
      runner_group_id: null,
      runner_group_name: null,
    },
    repository: { id: 1296269, name: repository.split('/')[1] ?? 'repo', full_name: repository },
    organization: { login: owner, id: 9919 },
    sender: { login: 'octocat', id: 1, type: 'User' },
  }
}

import { RequestError } from '@octokit/request-error'

import { RedeliveryError } from './errors.js'

type Headers = Record<string, string | number | undefined>

function header(headers: Headers | undefined, name: string): string | undefined {
  const value = headers?.[name]
  return value === undefined ? undefined : String(value)
}

/** GitHub signals both primary and secondary limits with 403 or 429 plus these headers. */
function rateLimitReset(error: RequestError, now: number): Date | undefined | false {
  if (error.status !== 403 && error.status !== 429) return false
  const headers = error.response?.headers as Headers | undefined
  const remaining = header(headers, 'x-ratelimit-remaining')
  const retryAfter = header(headers, 'retry-after')
  if (remaining !== '0' && retryAfter === undefined) {
    // A 429 without headers is still a rate limit; a bare 403 is a permission problem.
    return error.status === 429 ? undefined : false
  }
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
    return new Date(now + Number(retryAfter) * 1000)
  }
  const reset = header(headers, 'x-ratelimit-reset')
  return reset !== undefined && /^\d+$/.test(reset) ? new Date(Number(reset) * 1000) : undefined
}

/**
 * Turns whatever a GitHub call threw into a {@link RedeliveryError} with a one-line message.
 * `what` says which call failed (`listing deliveries of org/repo hook 1`).
 */
export function toRedeliveryError(error: unknown, what: string, now: number): RedeliveryError {
  if (error instanceof RedeliveryError) return error
  if (!(error instanceof RequestError)) {
    const reason = error instanceof Error ? error.message : String(error)
    return new RedeliveryError(
      'github',
      `The github client encountered an error while ${what}: ${reason}`,
      { cause: error },
    )
  }
  if (error.status === 401) {
    return new RedeliveryError(
      'bad-credentials',
      `The github client returned a Bad Credential error while ${what}: check GITHUB_TOKEN or the GitHub App variables`,
      { status: 401, cause: error },
    )
  }
  const resetAt = rateLimitReset(error, now)
  if (resetAt !== false) {
    const when = resetAt === undefined ? 'unknown' : resetAt.toISOString()
    return new RedeliveryError(
      'rate-limited',
      `The github client is returning a Rate Limit Exceeded error while ${what}; the limit resets at ${when}`,
      { status: error.status, cause: error, ...(resetAt === undefined ? {} : { resetAt }) },
    )
  }
  // No response at all (connection refused, DNS, TLS): octokit reports status 500 without one.
  const status = error.response === undefined ? 'no response' : `HTTP ${error.status}`
  const hint =
    error.status === 404 || error.status === 403
      ? ' (check the GitHub path and webhook id, and that the credentials may administer webhooks)'
      : ''
  return new RedeliveryError(
    'github',
    `The github client encountered an error while ${what}: ${status}: ${firstLine(error.message)}${hint}`,
    { status: error.status, cause: error },
  )
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300)
}

/** A GitHub failure the double can answer with instead of serving a request. */
export type DoubleFailure =
  | { readonly kind: 'bad-credentials' }
  | { readonly kind: 'rate-limit'; readonly resetAt: Date }
  | { readonly kind: 'secondary-rate-limit'; readonly retryAfterSeconds: number }
  | { readonly kind: 'server-error' }
  | { readonly kind: 'status'; readonly status: number; readonly message: string }

/** Which requests a failure applies to. */
export type FailureTarget = 'list' | 'attempt' | 'token' | 'any'

interface Response {
  status: number
  body: unknown
  headers: Record<string, string>
}

function toResponse(failure: DoubleFailure): Response {
  const docs = 'https://docs.github.com/rest'
  switch (failure.kind) {
    case 'bad-credentials':
      return {
        status: 401,
        body: { message: 'Bad credentials', documentation_url: docs },
        headers: {},
      }
    case 'rate-limit':
      return {
        status: 403,
        body: {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url: docs,
        },
        headers: {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': '5000',
          'x-ratelimit-reset': String(Math.floor(failure.resetAt.getTime() / 1000)),
        },
      }
    case 'secondary-rate-limit':
      return {
        status: 429,
        body: { message: 'You have exceeded a secondary rate limit.', documentation_url: docs },
        headers: { 'retry-after': String(failure.retryAfterSeconds) },
      }
    case 'server-error':
      return { status: 500, body: { message: 'Server Error' }, headers: {} }
    case 'status':
      return { status: failure.status, body: { message: failure.message }, headers: {} }
  }
}

/** Pending failures, consumed in order by matching requests. */
export function createFailureQueue() {
  const pending: { response: Response; remaining: number; on: FailureTarget }[] = []
  return {
    push(failure: DoubleFailure, times: number, on: FailureTarget): void {
      pending.push({ response: toResponse(failure), remaining: times, on })
    },
    take(target: Exclude<FailureTarget, 'any'>): Response | undefined {
      const index = pending.findIndex((entry) => entry.on === 'any' || entry.on === target)
      const entry = pending[index]
      if (entry === undefined) return undefined
      entry.remaining -= 1
      if (entry.remaining <= 0) pending.splice(index, 1)
      return entry.response
    },
  }
}

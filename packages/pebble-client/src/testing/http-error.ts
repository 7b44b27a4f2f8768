import type * as v from 'valibot'

/** An error the double answers as an `error` envelope (contract §1.3–§1.4). */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor(
    readonly statusCode: number,
    message: string,
    readonly kind?: string,
  ) {
    super(message)
  }
}

/** A valibot failure as one line: the first issue and where it is, e.g. `command.0: Invalid type…`. */
export function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const [issue] = issues
  if (!issue) return 'invalid request'
  const path = (issue.path ?? []).map((item) => String(item.key)).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

import type { BaseIssue } from 'valibot'

/** The first validation issue as one line: `path.to.key: message`. */
export function issueLine(issues: readonly BaseIssue<unknown>[]): string {
  const issue = issues[0]
  if (issue === undefined) return 'invalid input'
  const path = issue.path?.map((item) => String(item.key)).join('.')
  return path === undefined || path === '' ? issue.message : `${path}: ${issue.message}`
}

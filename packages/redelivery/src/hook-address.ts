import { RedeliveryConfigError } from './errors.js'

/**
 * Which webhook to scan: an organisation hook (`owner` only) or a repository hook
 * (`owner` + `repo`). `hookId` is the value GitHub sends as `X-GitHub-Hook-ID`.
 */
export interface HookAddress {
  readonly owner: string
  readonly repo?: string | undefined
  readonly hookId: number
}

// GitHub owner and repository names: letters, digits, `-`, `_` and `.`, never `.`/`..` alone.
const NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$/

/**
 * Parses `org` or `org/repo` plus a hook id, as given to `--github-path` and `--webhook-id`.
 *
 * @throws RedeliveryConfigError naming the bad part.
 *
 * @example
 * ```ts
 * parseHookAddress('canonical/my-repo', '1234') // { owner: 'canonical', repo: 'my-repo', hookId: 1234 }
 * ```
 */
export function parseHookAddress(githubPath: string, webhookId: string | number): HookAddress {
  const parts = githubPath.trim().split('/')
  const [owner, repo] = parts
  if (parts.length > 2 || owner === undefined || !NAME.test(owner)) {
    throw new RedeliveryConfigError(
      `Invalid GitHub path ${JSON.stringify(githubPath)}: expected <org> or <org>/<repo>`,
    )
  }
  if (repo !== undefined && !NAME.test(repo)) {
    throw new RedeliveryConfigError(
      `Invalid GitHub path ${JSON.stringify(githubPath)}: expected <org> or <org>/<repo>`,
    )
  }
  const idText = String(webhookId).trim()
  if (!/^[1-9][0-9]{0,15}$/.test(idText)) {
    throw new RedeliveryConfigError(
      `Invalid webhook id ${JSON.stringify(String(webhookId))}: expected a positive integer`,
    )
  }
  return { owner, repo, hookId: Number(idText) }
}

/** The REST path of the hook: `/repos/{owner}/{repo}/hooks/{id}` or `/orgs/{org}/hooks/{id}`. */
export function hookPath(hook: HookAddress): string {
  const owner = encodeURIComponent(hook.owner)
  return hook.repo === undefined
    ? `/orgs/${owner}/hooks/${hook.hookId}`
    : `/repos/${owner}/${encodeURIComponent(hook.repo)}/hooks/${hook.hookId}`
}

/** `org` or `org/repo`, for log lines. */
export function describeHook(hook: HookAddress): string {
  const path = hook.repo === undefined ? hook.owner : `${hook.owner}/${hook.repo}`
  return `${path} hook ${hook.hookId}`
}

import { createAppAuth } from '@octokit/auth-app'
import { Octokit } from '@octokit/core'

import type { GitHubAuth } from './auth.js'
import { DEFAULT_GITHUB_API_URL } from './auth.js'

/** Options of {@link createGitHubClient}. */
export interface GitHubClientOptions {
  /** REST root, e.g. `https://api.github.com` or `https://ghes.example/api/v3`. */
  readonly baseUrl?: string | undefined
  /** Transport; tests and embedders inject it the way octokit's own tests do. */
  readonly fetch?: typeof globalThis.fetch | undefined
  readonly userAgent?: string | undefined
}

/** The part of `@octokit/core` this package uses. */
export type GitHubClient = Pick<Octokit, 'request'>

// octokit logs warnings (deprecations, token retry notices) to the console; a library must not.
const quietLog = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * Builds an authenticated `@octokit/core` client. A token is sent as-is; a GitHub App exchanges
 * its JWT for an installation token on first use and refreshes it before expiry
 * (`@octokit/auth-app`).
 *
 * @example
 * ```ts
 * const octokit = createGitHubClient(parseGitHubAuthEnv(process.env), {
 *   baseUrl: parseGitHubApiUrl(process.env),
 * })
 * ```
 */
export function createGitHubClient(auth: GitHubAuth, options: GitHubClientOptions = {}): Octokit {
  const common = {
    baseUrl: options.baseUrl ?? DEFAULT_GITHUB_API_URL,
    userAgent: options.userAgent ?? 'github-runner-webhook-router-redelivery',
    log: quietLog,
    request: options.fetch === undefined ? {} : { fetch: options.fetch },
  }
  if (auth.kind === 'token') return new Octokit({ ...common, auth: auth.token })
  return new Octokit({
    ...common,
    authStrategy: createAppAuth,
    auth: {
      appId: auth.clientId,
      privateKey: auth.privateKey,
      installationId: auth.installationId,
    },
  })
}

import { createPrivateKey } from 'node:crypto'

import { RedeliveryConfigError } from './errors.js'

/** A personal access token or fine-grained token (`GITHUB_TOKEN`). */
export interface GitHubTokenAuth {
  readonly kind: 'token'
  readonly token: string
}

/** A GitHub App installation; the App's JWT is signed with `privateKey` and `iss = clientId`. */
export interface GitHubAppAuth {
  readonly kind: 'app'
  readonly clientId: string
  readonly installationId: number
  /** PEM (PKCS#1 as GitHub issues it, or PKCS#8). Escaped `\n` sequences are accepted. */
  readonly privateKey: string
}

export type GitHubAuth = GitHubTokenAuth | GitHubAppAuth

/** The environment variables this module reads. */
export const GITHUB_AUTH_ENV = [
  'GITHUB_TOKEN',
  'GITHUB_APP_CLIENT_ID',
  'GITHUB_APP_INSTALLATION_ID',
  'GITHUB_APP_PRIVATE_KEY',
] as const

const APP_VARIABLES = GITHUB_AUTH_ENV.slice(1)

type Env = Readonly<Record<string, string | undefined>>

/** Empty strings count as unset: the charm drops empty values and shells often export them. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value
}

/**
 * Reads GitHub credentials from the environment: either `GITHUB_TOKEN`, or all three of
 * `GITHUB_APP_CLIENT_ID`, `GITHUB_APP_INSTALLATION_ID` and `GITHUB_APP_PRIVATE_KEY`.
 *
 * @throws RedeliveryConfigError when both kinds are given, when neither is complete (naming the
 * missing variables), when the installation id is not a positive integer, or when the private
 * key is not a PEM private key. Messages never include secret values.
 *
 * @example
 * ```ts
 * const auth = parseGitHubAuthEnv(process.env) // { kind: 'token', token: '…' }
 * ```
 */
export function parseGitHubAuthEnv(env: Env): GitHubAuth {
  const token = read(env, 'GITHUB_TOKEN')
  const appGiven = APP_VARIABLES.filter((name) => read(env, name) !== undefined)
  const appMissing = APP_VARIABLES.filter((name) => read(env, name) === undefined)

  if (token !== undefined && appGiven.length > 0) {
    throw new RedeliveryConfigError(
      `Give either GITHUB_TOKEN or the GitHub App variables, not both (found GITHUB_TOKEN and ${appGiven.join(', ')})`,
    )
  }
  if (token !== undefined) return { kind: 'token', token: token.trim() }
  if (appGiven.length === 0) {
    throw new RedeliveryConfigError(
      `No GitHub credentials: set GITHUB_TOKEN, or ${APP_VARIABLES.join(', ')}`,
    )
  }
  if (appMissing.length > 0) {
    throw new RedeliveryConfigError(
      `Incomplete GitHub App credentials: missing ${appMissing.join(', ')}`,
    )
  }

  const installationText = (read(env, 'GITHUB_APP_INSTALLATION_ID') ?? '').trim()
  if (!/^[1-9][0-9]*$/.test(installationText)) {
    throw new RedeliveryConfigError('GITHUB_APP_INSTALLATION_ID must be a positive integer')
  }
  const privateKey = (read(env, 'GITHUB_APP_PRIVATE_KEY') ?? '').replace(/\\n/g, '\n').trim()
  assertPrivateKey(privateKey)
  return {
    kind: 'app',
    clientId: (read(env, 'GITHUB_APP_CLIENT_ID') ?? '').trim(),
    installationId: Number(installationText),
    privateKey,
  }
}

/** Fails early with a readable message instead of an opaque signing error at the first request. */
function assertPrivateKey(pem: string): void {
  try {
    createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    throw new RedeliveryConfigError(
      'GITHUB_APP_PRIVATE_KEY is not a PEM private key (expected "-----BEGIN RSA PRIVATE KEY-----…")',
    )
  }
}

/** GitHub.com's REST root; GitHub Enterprise Server uses `https://<host>/api/v3`. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

/**
 * Reads `GITHUB_API_URL` (default `https://api.github.com`), without a trailing slash.
 *
 * @throws RedeliveryConfigError when it is not an http(s) URL.
 */
export function parseGitHubApiUrl(env: Env): string {
  const raw = read(env, 'GITHUB_API_URL')?.trim() ?? DEFAULT_GITHUB_API_URL
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new RedeliveryConfigError(`GITHUB_API_URL is not a URL: ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RedeliveryConfigError(`GITHUB_API_URL must be http(s), got ${url.protocol}`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new RedeliveryConfigError('GITHUB_API_URL must not contain credentials')
  }
  return url.href.replace(/\/+$/, '')
}

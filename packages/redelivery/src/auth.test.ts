import { describe, expect, it } from 'vitest'

import { parseGitHubApiUrl, parseGitHubAuthEnv } from './auth.js'
import { RedeliveryConfigError } from './errors.js'
import { createTestAppKey } from './testing/app-jwt.js'

const key = createTestAppKey()
const app = {
  GITHUB_APP_CLIENT_ID: 'Iv1.0123',
  GITHUB_APP_INSTALLATION_ID: '42',
  GITHUB_APP_PRIVATE_KEY: key.privateKey,
}

function configError(env: Record<string, string | undefined>): RedeliveryConfigError {
  try {
    parseGitHubAuthEnv(env)
  } catch (error) {
    if (error instanceof RedeliveryConfigError) return error
    throw error
  }
  throw new Error('expected a RedeliveryConfigError')
}

describe('parseGitHubAuthEnv', () => {
  it('reads a token', () => {
    expect(parseGitHubAuthEnv({ GITHUB_TOKEN: 'ghp_x' })).toEqual({ kind: 'token', token: 'ghp_x' })
  })

  it('reads complete GitHub App credentials', () => {
    expect(parseGitHubAuthEnv(app)).toEqual({
      kind: 'app',
      clientId: 'Iv1.0123',
      installationId: 42,
      privateKey: key.privateKey.trim(),
    })
  })

  it('accepts a private key whose newlines are escaped as \\n', () => {
    const escaped = key.privateKey.replace(/\n/g, '\\n')
    const auth = parseGitHubAuthEnv({ ...app, GITHUB_APP_PRIVATE_KEY: escaped })
    expect(auth).toMatchObject({ kind: 'app', privateKey: key.privateKey.trim() })
  })

  it('treats empty variables as unset', () => {
    expect(parseGitHubAuthEnv({ GITHUB_TOKEN: 't', GITHUB_APP_CLIENT_ID: '' })).toEqual({
      kind: 'token',
      token: 't',
    })
  })

  it('refuses a token and App variables together, without printing them', () => {
    const error = configError({ ...app, GITHUB_TOKEN: 'ghp_secret' })
    expect(error.message).toContain('not both')
    expect(error.message).not.toContain('ghp_secret')
    expect(error.message).not.toContain('PRIVATE KEY')
  })

  it('names every missing variable when there are no credentials', () => {
    expect(configError({}).message).toBe(
      'No GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_CLIENT_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY',
    )
  })

  it('names the missing App variables when the App credentials are incomplete', () => {
    expect(configError({ GITHUB_APP_CLIENT_ID: 'Iv1.0123' }).message).toBe(
      'Incomplete GitHub App credentials: missing GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY',
    )
  })

  it('rejects an installation id that is not a positive integer', () => {
    expect(configError({ ...app, GITHUB_APP_INSTALLATION_ID: '4x2' }).message).toBe(
      'GITHUB_APP_INSTALLATION_ID must be a positive integer',
    )
  })

  it('rejects a private key that is not PEM, without echoing it', () => {
    const error = configError({ ...app, GITHUB_APP_PRIVATE_KEY: 'not-a-key-s3cr3t' })
    expect(error.message).toContain('GITHUB_APP_PRIVATE_KEY is not a PEM private key')
    expect(error.message).not.toContain('s3cr3t')
  })
})

describe('parseGitHubApiUrl', () => {
  it('defaults to api.github.com', () => {
    expect(parseGitHubApiUrl({})).toBe('https://api.github.com')
  })

  it('accepts a GitHub Enterprise Server API root and drops the trailing slash', () => {
    expect(parseGitHubApiUrl({ GITHUB_API_URL: 'https://ghes.example/api/v3/' })).toBe(
      'https://ghes.example/api/v3',
    )
  })

  it.each(['not a url', 'ftp://example.com', 'https://user:pw@example.com'])(
    'rejects %s',
    (value) => {
      expect(() => parseGitHubApiUrl({ GITHUB_API_URL: value })).toThrow(RedeliveryConfigError)
    },
  )
})

import { describe, expect, it } from 'vitest'

import { RedeliveryConfigError } from './errors.js'
import { describeHook, hookPath, parseHookAddress } from './hook-address.js'

describe('parseHookAddress', () => {
  it('parses an org/repo path', () => {
    expect(parseHookAddress('octo-org/octo.repo_1', '1234')).toEqual({
      owner: 'octo-org',
      repo: 'octo.repo_1',
      hookId: 1234,
    })
  })

  it('parses an org path', () => {
    expect(parseHookAddress('octo-org', 7)).toEqual({
      owner: 'octo-org',
      repo: undefined,
      hookId: 7,
    })
  })

  it.each(['', 'a/b/c', 'org/', '/repo', 'org/..', 'or g'])('rejects the path %j', (path) => {
    expect(() => parseHookAddress(path, '1')).toThrow(RedeliveryConfigError)
  })

  it.each(['0', '-1', '1.5', 'abc', ''])('rejects the webhook id %j', (id) => {
    expect(() => parseHookAddress('org', id)).toThrow(/Invalid webhook id/)
  })
})

describe('hookPath', () => {
  it('builds the repo and org REST paths', () => {
    expect(hookPath({ owner: 'o', repo: 'r', hookId: 1 })).toBe('/repos/o/r/hooks/1')
    expect(hookPath({ owner: 'o', hookId: 1 })).toBe('/orgs/o/hooks/1')
  })

  it('describes a hook for log lines', () => {
    expect(describeHook({ owner: 'o', repo: 'r', hookId: 1 })).toBe('o/r hook 1')
  })
})

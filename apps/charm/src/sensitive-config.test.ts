import type { HookTools } from '@webhook-router/charm-machine/juju'
import { describe, expect, it } from 'vitest'
import { fingerprint, withFingerprintedSecrets } from './sensitive-config.js'

const tools = (config: Record<string, string | number | boolean>) =>
  ({ configGet: async () => config, isLeader: async () => true }) as unknown as HookTools

describe('withFingerprintedSecrets', () => {
  it('replaces the webhook secrets by fingerprints and keeps everything else', async () => {
    const wrapped = withFingerprintedSecrets(
      tools({ 'webhook-secret': 'hunter2', 'webhook-secret-previous': 'old', 'log-level': 'INFO' }),
    )
    const config = await wrapped.configGet()
    expect(config).toEqual({
      'webhook-secret': fingerprint('hunter2'),
      'webhook-secret-previous': fingerprint('old'),
      'log-level': 'INFO',
    })
    expect(JSON.stringify(config)).not.toContain('hunter2')
    expect(await wrapped.isLeader()).toBe(true)
  })

  it('gives a different fingerprint when the secret changes, so config changes still show', () => {
    expect(fingerprint('a')).not.toBe(fingerprint('b'))
    expect(fingerprint('a')).toMatch(/^sha256:[0-9a-f]{16}$/)
  })

  it('leaves an empty secret empty', async () => {
    expect(await withFingerprintedSecrets(tools({ 'webhook-secret': '' })).configGet()).toEqual({
      'webhook-secret': '',
    })
  })
})

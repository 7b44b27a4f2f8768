import { describe, expect, it } from 'vitest'
import { exampleCharm } from '../__fixtures__/example-charm.js'
import { Context, container, createState, on } from '../testing/index.js'
import { fingerprintSecret, redactSensitiveConfig } from './sensitive-config.js'

describe('redactSensitiveConfig', () => {
  it('replaces sensitive values by fingerprints and keeps everything else', () => {
    const config = { password: 'hunter2', old: 'previous', 'log-level': 'INFO', port: 8000 }
    expect(redactSensitiveConfig(config, ['password', 'old'])).toEqual({
      password: fingerprintSecret('hunter2'),
      old: fingerprintSecret('previous'),
      'log-level': 'INFO',
      port: 8000,
    })
  })

  it('leaves an empty secret empty, so "unset" stays visible', () => {
    expect(redactSensitiveConfig({ password: '' }, ['password'])).toEqual({ password: '' })
  })

  it('gives a different fingerprint when the secret changes, so config changes still show', () => {
    expect(fingerprintSecret('a')).not.toBe(fingerprintSecret('b'))
    expect(fingerprintSecret('a')).toMatch(/^sha256:[0-9a-f]{16}$/)
  })
})

describe('sensitive options in a dispatch', () => {
  it('should record only the fingerprint of a sensitive option in the unit log', async () => {
    const ctx = new Context(
      { ...exampleCharm(), sensitiveOptions: ['password'] },
      { appName: 'example', modelName: 'prod' },
    )
    const input = createState({
      leader: true,
      config: { password: 'hunter2', 'log-level': 'INFO' },
      containers: [container({ name: 'web' })],
    })
    const out = await ctx.run(on.configChanged(), input)
    const log = JSON.stringify(out.state.storedLog)
    expect(out.state.storedLog.entries.length).toBeGreaterThan(0)
    expect(log).not.toContain('hunter2')
    expect(log).toContain(fingerprintSecret('hunter2'))
  })
})

import { describe, expect, it } from 'vitest'
import { ConfigError } from './errors.js'
import { defineRouterConfig, parseRouterConfig } from './router-config.js'

const valid = {
  APP_FLAVOURS: '- small: [x64, small]\n- large: [arm64, large]',
  APP_DEFAULT_FLAVOUR: 'small',
}

function errorOf(env: Record<string, string | undefined>): string {
  try {
    parseRouterConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  throw new Error('expected a ConfigError')
}

describe('parseRouterConfig', () => {
  it('reads flavours in config order with lowercased labels and the documented defaults', () => {
    const config = parseRouterConfig({ ...valid, APP_FLAVOURS: '- big: [ARM64, Large, large]' })
    expect(config).toEqual({
      flavours: [{ name: 'big', labels: ['arm64', 'large'] }],
      defaultFlavour: 'small',
      selfHostedLabels: ['self-hosted', 'linux'],
      secrets: { current: undefined, previous: undefined },
      maxBodyBytes: 1048576,
      publishTimeoutMs: 5000,
      dedupRetentionMs: 168 * 3600 * 1000,
    })
  })

  it.each([
    ['%s', "Invalid 'FLAVOURS' config. Invalid yaml."],
    ['', 'FLAVOURS config is not set!'],
    [undefined, 'FLAVOURS config is not set!'],
    [
      'small: [x64, small]',
      "Invalid 'FLAVOURS' config. Expected a YAML file with a list at the top level.",
    ],
    ['- small:', "Invalid 'FLAVOURS' config. Invalid format."],
    ['- small: [a]\n- small: [b]', "Invalid 'FLAVOURS' config. Duplicate flavour 'small' found."],
    ['- small:\n  - x64: foobar', "Invalid 'FLAVOURS' config. Invalid format."],
    ['- x64: foobar', "Invalid 'FLAVOURS' config. Invalid format."],
    [
      '- small: [small]\n  large: [large]',
      "Invalid 'FLAVOURS' config. Expected a single key-value pair: {'small': ['small'], 'large': ['large']}",
    ],
    ['- small: [1, x64]', "Invalid 'FLAVOURS' config. Invalid format."],
    ['- just-a-string', "Invalid 'FLAVOURS' config. Invalid format."],
    ['- &a [a, *a]', "Invalid 'FLAVOURS' config. Invalid format."],
  ])('rejects FLAVOURS %j with the reference message', (flavours, message) => {
    expect(errorOf({ ...valid, APP_FLAVOURS: flavours })).toBe(message)
  })

  it('rejects a YAML alias bomb instead of expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n')
    expect(errorOf({ ...valid, APP_FLAVOURS: bomb })).toBe(
      "Invalid 'FLAVOURS' config. Invalid yaml.",
    )
  })

  it('reports a missing default flavour', () => {
    expect(errorOf({ ...valid, APP_DEFAULT_FLAVOUR: undefined })).toBe(
      'DEFAULT_FLAVOUR config is not set!',
    )
  })

  it('reports an empty self-hosted label list', () => {
    expect(errorOf({ ...valid, APP_DEFAULT_SELF_HOSTED_LABELS: '' })).toBe(
      'DEFAULT_SELF_HOSTED_LABELS config is not set!',
    )
    expect(errorOf({ ...valid, APP_DEFAULT_SELF_HOSTED_LABELS: ' , ' })).toBe(
      'DEFAULT_SELF_HOSTED_LABELS config is not set!',
    )
  })

  it('checks FLAVOURS before DEFAULT_FLAVOUR before DEFAULT_SELF_HOSTED_LABELS', () => {
    const allBad = { APP_FLAVOURS: '', APP_DEFAULT_SELF_HOSTED_LABELS: '' }
    expect(errorOf(allBad)).toBe('FLAVOURS config is not set!')
    expect(errorOf({ ...allBad, APP_FLAVOURS: valid.APP_FLAVOURS })).toBe(
      'DEFAULT_FLAVOUR config is not set!',
    )
  })

  it('trims, lowercases and de-duplicates the self-hosted labels', () => {
    const config = parseRouterConfig({
      ...valid,
      APP_DEFAULT_SELF_HOSTED_LABELS: ' Self-Hosted , linux,,LINUX ',
    })
    expect(config.selfHostedLabels).toEqual(['self-hosted', 'linux'])
  })

  it('accepts a previous secret beside the current one', () => {
    const config = parseRouterConfig({
      ...valid,
      APP_WEBHOOK_SECRET: 'new',
      APP_WEBHOOK_SECRET_PREVIOUS: 'old',
    })
    expect(config.secrets).toEqual({ current: 'new', previous: 'old' })
  })

  it('treats an empty secret as unset', () => {
    expect(parseRouterConfig({ ...valid, APP_WEBHOOK_SECRET: '' }).secrets.current).toBeUndefined()
  })

  it('refuses a previous secret without a current one', () => {
    expect(errorOf({ ...valid, APP_WEBHOOK_SECRET_PREVIOUS: 'old' })).toMatch(
      /^APP_WEBHOOK_SECRET_PREVIOUS is set but APP_WEBHOOK_SECRET is not/,
    )
  })

  it('reads the numeric settings', () => {
    const config = parseRouterConfig({
      ...valid,
      APP_MAX_BODY_BYTES: ' 2048 ',
      APP_PUBLISH_TIMEOUT_MS: '1500',
      APP_DEDUP_RETENTION_HOURS: '72',
    })
    expect(config.maxBodyBytes).toBe(2048)
    expect(config.publishTimeoutMs).toBe(1500)
    expect(config.dedupRetentionMs).toBe(72 * 3600 * 1000)
  })

  it.each([
    ['APP_MAX_BODY_BYTES', 'abc'],
    ['APP_MAX_BODY_BYTES', '0'],
    ['APP_MAX_BODY_BYTES', '1.5'],
    ['APP_MAX_BODY_BYTES', '-1'],
    ['APP_MAX_BODY_BYTES', '1e6'],
    ['APP_PUBLISH_TIMEOUT_MS', '10000'],
    ['APP_PUBLISH_TIMEOUT_MS', '99999999999999999999999'],
    ['APP_DEDUP_RETENTION_HOURS', '0'],
    ['APP_DEDUP_RETENTION_HOURS', 'week'],
  ])('rejects %s=%j with a message naming the variable', (name, value) => {
    expect(errorOf({ ...valid, [name]: value })).toMatch(new RegExp(`^${name} must be an integer`))
  })
})

describe('defineRouterConfig', () => {
  it('lowercases labels and fills in the same defaults as the environment parser', () => {
    const config = defineRouterConfig({
      flavours: [{ name: 'small', labels: ['X64', 'Small'] }],
      defaultFlavour: 'small',
    })
    expect(config).toEqual(parseRouterConfig({ ...valid, APP_FLAVOURS: '- small: [x64, small]' }))
  })
})

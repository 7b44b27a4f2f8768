import { describe, expect, it } from 'vitest'
import { parseCharmConfig, parseFlavours } from './config.js'

const valid = {
  flavours: '- small: [small, x64]\n- large: [large, x64]',
  'default-flavour': 'small',
  'default-self-hosted-labels': 'self-hosted,linux',
  'log-level': 'info',
  'redelivery-interval': 0,
  'redelivery-webhook-id': 0,
}

function message(raw: unknown): string {
  const result = parseCharmConfig(raw)
  if (result.ok) throw new Error('expected the config to be rejected')
  return result.message
}

describe('parseCharmConfig', () => {
  it('accepts the reference options and upper-cases the log level', () => {
    const result = parseCharmConfig(valid)
    expect(result).toMatchObject({
      ok: true,
      config: { flavourNames: ['small', 'large'], defaultFlavour: 'small', logLevel: 'INFO' },
    })
  })

  it('defaults the self-hosted labels and log level when config-get omits them', () => {
    const result = parseCharmConfig({ flavours: valid.flavours, 'default-flavour': 'large' })
    expect(result).toMatchObject({
      ok: true,
      config: { defaultSelfHostedLabels: 'self-hosted,linux', logLevel: 'INFO' },
    })
  })

  it('blocks with every missing required option named', () => {
    expect(message({})).toBe('invalid config: flavours is required; default-flavour is required')
  })

  it('publishes to the kombu queues unless told otherwise', () => {
    expect(parseCharmConfig(valid)).toMatchObject({ ok: true, config: { publishMode: 'kombu' } })
    expect(parseCharmConfig({ ...valid, 'publish-mode': ' ' })).toMatchObject({
      config: { publishMode: 'kombu' },
    })
  })

  it('needs no flavour table in the stream mode, and still checks one that is given', () => {
    expect(parseCharmConfig({ 'publish-mode': 'stream' })).toMatchObject({
      ok: true,
      config: { publishMode: 'stream', flavourNames: [] },
    })
    expect(message({ 'publish-mode': 'stream', flavours: '- small: [small' })).toMatch(
      /^invalid config: flavours is not valid YAML/,
    )
    expect(message({ 'publish-mode': 'both' })).toBe(
      'invalid config: flavours is required; default-flavour is required',
    )
  })

  it('rejects a publish mode that is not kombu, stream or both', () => {
    expect(message({ ...valid, 'publish-mode': 'Stream' })).toBe(
      'invalid config: publish-mode must be one of kombu, stream, both',
    )
    expect(message({ ...valid, 'publish-mode': 3 })).toBe(
      'invalid config: publish-mode must be one of kombu, stream, both',
    )
  })

  it('treats output that is not an object as an empty config', () => {
    expect(message('garbage')).toBe(
      'invalid config: flavours is required; default-flavour is required',
    )
    expect(message(null)).toBe('invalid config: flavours is required; default-flavour is required')
  })

  it('treats an empty string like an unset option', () => {
    expect(message({ ...valid, 'default-flavour': '  ' })).toBe(
      'invalid config: default-flavour is required',
    )
  })

  it('rejects flavours that are not YAML', () => {
    expect(message({ ...valid, flavours: '- small: [small' })).toMatch(
      /^invalid config: flavours is not valid YAML \(/,
    )
  })

  it('rejects a default flavour that no flavour defines', () => {
    expect(message({ ...valid, 'default-flavour': 'medium' })).toBe(
      'invalid config: default-flavour "medium" is not one of the flavours',
    )
  })

  it('rejects an unknown log level', () => {
    expect(message({ ...valid, 'log-level': 'verbose' })).toBe(
      'invalid config: log-level must be one of DEBUG, INFO, WARNING, ERROR',
    )
  })

  it('rejects an empty entry in the self-hosted labels', () => {
    expect(message({ ...valid, 'default-self-hosted-labels': 'self-hosted,,linux' })).toContain(
      'default-self-hosted-labels must be comma-separated labels with no empty entry',
    )
  })

  it('rejects a wrongly typed option instead of crashing', () => {
    expect(message({ ...valid, 'log-level': 3 })).toContain('log-level must be a string')
  })

  it('keeps the previous webhook secret for rotation', () => {
    const result = parseCharmConfig({
      ...valid,
      'webhook-secret': 'new',
      'webhook-secret-previous': 'old',
    })
    expect(result).toMatchObject({
      ok: true,
      config: { webhookSecret: 'new', webhookSecretPrevious: 'old' },
    })
  })

  it('rejects a previous webhook secret without a current one', () => {
    expect(message({ ...valid, 'webhook-secret-previous': 'old' })).toBe(
      'invalid config: webhook-secret-previous needs webhook-secret',
    )
  })

  it('rejects a previous webhook secret equal to the current one', () => {
    expect(message({ ...valid, 'webhook-secret': 's', 'webhook-secret-previous': 's' })).toBe(
      'invalid config: webhook-secret-previous must differ from webhook-secret',
    )
  })

  it('turns automatic redelivery on when the interval and its settings are set', () => {
    const result = parseCharmConfig({
      ...valid,
      'redelivery-interval': 300,
      'redelivery-github-path': 'canonical/repo',
      'redelivery-webhook-id': 42,
      'redelivery-github-auth': 'secret:abc',
    })
    expect(result).toMatchObject({
      ok: true,
      config: {
        redelivery: {
          intervalSeconds: 300,
          githubPath: 'canonical/repo',
          webhookId: 42,
          authSecretId: 'secret:abc',
        },
      },
    })
  })

  it('names every setting automatic redelivery still needs', () => {
    expect(message({ ...valid, 'redelivery-interval': 300 })).toBe(
      'invalid config: redelivery-github-path is required by redelivery-interval; ' +
        'redelivery-webhook-id is required by redelivery-interval; ' +
        'redelivery-github-auth is required by redelivery-interval',
    )
  })

  it('rejects a redelivery interval shorter than a minute', () => {
    expect(message({ ...valid, 'redelivery-interval': 5 })).toContain(
      'redelivery-interval must be at least 60 seconds',
    )
  })

  it('rejects a redelivery interval longer than a day', () => {
    expect(message({ ...valid, 'redelivery-interval': 90_000 })).toContain(
      'redelivery-interval must be at most 86400 seconds (a day)',
    )
  })

  it('rejects a GitHub path that is neither org nor org/repo', () => {
    expect(message({ ...valid, 'redelivery-github-path': 'a/b/c' })).toContain(
      'redelivery-github-path must be "org" or "org/repo"',
    )
  })

  it('rejects a GitHub API URL that is not http(s)', () => {
    expect(message({ ...valid, 'github-api-url': 'ftp://x' })).toBe(
      'invalid config: github-api-url must be an http(s) URL',
    )
  })

  it('keeps the status message short however many options are wrong', () => {
    const long = message({ flavours: '- ' + 'x'.repeat(500) + ': 3' })
    expect(long.length).toBeLessThanOrEqual(240)
  })
})

describe('parseFlavours', () => {
  it('returns the flavour names in priority order', () => {
    expect(parseFlavours('- large: [large]\n- small: [small]')).toEqual(['large', 'small'])
  })

  it('rejects a map instead of a list', () => {
    expect(parseFlavours('small: [small]')).toMatch(/must be a non-empty YAML list/)
  })

  it('rejects an entry with two flavour names', () => {
    expect(parseFlavours('- small: [a]\n  large: [b]')).toBe(
      'entry 1 must be a map with exactly one flavour name',
    )
  })

  it('rejects a duplicate flavour', () => {
    expect(parseFlavours('- small: [a]\n- small: [b]')).toBe('has the flavour "small" twice')
  })

  it('rejects labels that are not a list of strings', () => {
    expect(parseFlavours('- small: small')).toBe(
      'flavour "small" must map to a list of non-empty labels',
    )
  })
})

import { describe, expect, it } from 'vitest'
import { LayerParseError, layerToYaml, parseLayerYaml, type Layer } from './layer.js'

describe('layer YAML (§3.2)', () => {
  it('round-trips a typed layer through YAML', () => {
    const layer: Layer = {
      summary: 'router',
      services: {
        router: {
          override: 'replace',
          command: 'webhook-router serve',
          startup: 'enabled',
          environment: { PORT: '8080' },
          'kill-delay': '10s',
          'on-check-failure': { ready: 'restart' },
        },
      },
      checks: {
        ready: {
          override: 'replace',
          level: 'ready',
          period: '5s',
          http: { url: 'http://localhost:8080/' },
        },
      },
      'log-targets': {
        loki: { override: 'merge', type: 'loki', location: 'http://loki', services: ['all'] },
      },
    }
    expect(parseLayerYaml(layerToYaml(layer))).toEqual(layer)
  })

  it('rejects unknown sections, unknown keys and bad durations with a one-line reason', () => {
    expect(() => parseLayerYaml('workers: {}\n')).toThrow('unknown section "workers"')
    expect(() => parseLayerYaml('services:\n  a:\n    override: replace\n    cmd: x\n')).toThrow(
      LayerParseError,
    )
    expect(() =>
      parseLayerYaml('services:\n  a:\n    override: replace\n    kill-delay: soon\n'),
    ).toThrow(/kill-delay/)
    expect(() =>
      parseLayerYaml('checks:\n  c:\n    override: replace\n    threshold: -1\n'),
    ).toThrow(LayerParseError)
  })

  it('rejects invalid YAML, a non-mapping and reserved service names', () => {
    expect(() => parseLayerYaml('services: [')).toThrow(LayerParseError)
    expect(() => parseLayerYaml('- a\n')).toThrow('layer must be a YAML mapping')
    expect(() => parseLayerYaml('services:\n  pebble:\n    override: replace\n')).toThrow(
      'cannot use service name "pebble"',
    )
  })

  it('refuses names JavaScript objects cannot hold instead of dropping them', () => {
    expect(() => parseLayerYaml('services:\n  constructor:\n    override: replace\n')).toThrow(
      'cannot use the name "constructor": reserved in JavaScript objects',
    )
    expect(() =>
      parseLayerYaml(
        'services:\n  a:\n    override: replace\n    environment:\n      __proto__: x\n',
      ),
    ).toThrow(LayerParseError)
  })

  it('leaves a missing override to the combine step', () => {
    expect(
      parseLayerYaml('services:\n  a:\n    command: x\n').services?.['a']?.override,
    ).toBeUndefined()
  })

  it('reads an empty document as an empty layer', () => {
    expect(parseLayerYaml('')).toEqual({})
  })
})

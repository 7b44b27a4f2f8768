import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import type { FlavourConfig } from '../config/flavours.js'
import { createRoutingTable, routeLabels } from './table.js'
import type { RouteDecision } from './table.js'

function tableOf(flavours: FlavourConfig[], defaultFlavour: string, selfHosted?: string[]) {
  return createRoutingTable(
    defineRouterConfig({ flavours, defaultFlavour, selfHostedLabels: selfHosted }),
  )
}

function flavourOf(decision: RouteDecision): string | undefined {
  return decision.routed ? decision.flavour : undefined
}

/** Every non-empty subset of `labels`, the keys of the reference's routing table. */
function combinations(labels: string[]): string[][] {
  const result: string[][] = []
  for (let mask = 1; mask < 1 << labels.length; mask++) {
    result.push(labels.filter((_, index) => (mask & (1 << index)) !== 0))
  }
  return result
}

const largeAndX64Large = tableOf(
  [
    { name: 'large', labels: ['arm64', 'large'] },
    { name: 'x64-large', labels: ['large', 'x64', 'jammy'] },
  ],
  'x64-large',
)

describe('routeLabels', () => {
  it.each([
    [['arm64'], 'large'],
    [['large'], 'large'],
    [['arm64', 'large'], 'large'],
    [['x64'], 'x64-large'],
    [['jammy'], 'x64-large'],
    [['jammy', 'x64'], 'x64-large'],
    [['jammy', 'large'], 'x64-large'],
    [['large', 'x64'], 'x64-large'],
    [['jammy', 'large', 'x64'], 'x64-large'],
  ])('routes %j like the reference table (earlier flavour wins)', (labels, flavour) => {
    expect(flavourOf(routeLabels(largeAndX64Large, labels))).toBe(flavour)
  })

  it('matches mixed-case config labels case-insensitively', () => {
    const table = tableOf([{ name: 'large', labels: ['arM64', 'LaRgE'] }], 'large')
    for (const labels of [['arm64'], ['large'], ['arm64', 'large']]) {
      expect(flavourOf(routeLabels(table, labels))).toBe('large')
    }
  })

  it('routes every combination of a flavour to the first flavour that has it', () => {
    const table = tableOf(
      [
        { name: 'large', labels: ['arm64', 'jammy', 'large'] },
        { name: 'x64-large', labels: ['large', 'noble', 'x64'] },
      ],
      'large',
    )
    for (const labels of combinations(['arm64', 'jammy', 'large'])) {
      expect(flavourOf(routeLabels(table, labels)), labels.join()).toBe('large')
    }
    for (const labels of combinations(['large', 'noble', 'x64'])) {
      const expected = labels.join() === 'large' ? 'large' : 'x64-large'
      expect(flavourOf(routeLabels(table, labels)), labels.join()).toBe(expected)
    }
  })

  it.each([
    [['SMALl'], 'small'],
    [['ARM64'], 'large'],
    [['lARGE'], 'large'],
    [['arM64', 'lArge'], 'large'],
    [['small'], 'small'],
  ])('looks %j up case-insensitively', (labels, flavour) => {
    const table = tableOf(
      [
        { name: 'small', labels: ['x64', 'small'] },
        { name: 'large', labels: ['arm64', 'large'] },
      ],
      'small',
    )
    expect(flavourOf(routeLabels(table, labels))).toBe(flavour)
  })

  it('sends a job with no labels left after stripping to the default flavour', () => {
    expect(routeLabels(largeAndX64Large, ['Self-Hosted', 'LINUX'])).toEqual({
      routed: true,
      flavour: 'x64-large',
      labels: [],
      rule: 'default',
    })
    expect(routeLabels(largeAndX64Large, []).routed).toBe(true)
  })

  it('explains that no single flavour has all of the labels', () => {
    const decision = routeLabels(largeAndX64Large, [
      'self-hosted',
      'linux',
      'arm64',
      'large',
      'x64',
    ])
    expect(decision).toEqual({
      routed: false,
      labels: ['arm64', 'large', 'x64'],
      code: 'no-single-flavour',
      reason: 'No single flavour has all of the labels "arm64", "large", "x64".',
      unknownLabels: [],
      closest: { flavour: 'large', missingLabels: ['x64'] },
    })
  })

  it('names the labels no flavour has', () => {
    const decision = routeLabels(largeAndX64Large, [
      'self-hosted',
      'linux',
      'arm64',
      'large',
      'noble',
    ])
    expect(decision).toMatchObject({
      routed: false,
      code: 'unknown-label',
      reason: 'No flavour has the label "noble".',
      unknownLabels: ['noble'],
      closest: { flavour: 'large', missingLabels: ['noble'] },
    })
  })

  it('gives no closest flavour when no flavour has any of the labels', () => {
    const decision = routeLabels(largeAndX64Large, ['riscv', 'gpu'])
    expect(decision).toMatchObject({ reason: 'No flavour has the labels "riscv", "gpu".' })
    expect(decision).not.toHaveProperty('closest')
  })

  it('refuses every labelled job when there are no flavours', () => {
    const table = tableOf([], 'small')
    expect(routeLabels(table, ['self-hosted', 'linux', 'arm64', 'x64'])).toMatchObject({
      routed: false,
      unknownLabels: ['arm64', 'x64'],
    })
  })

  it('keeps a hostile label list to a short one-line reason', () => {
    const labels = Array.from({ length: 50 }, (_, i) => `bad\nlabel-${i}-${'x'.repeat(100)}`)
    const decision = routeLabels(largeAndX64Large, labels)
    expect(decision.routed).toBe(false)
    if (decision.routed) return
    expect(decision.reason).not.toContain('\n')
    expect(decision.reason).toMatch(/and 40 more\.$/)
    expect(decision.reason.length).toBeLessThan(1000)
  })

  it('uses every word of the bitset when there are more than 32 flavours', () => {
    const flavours = Array.from({ length: 70 }, (_, i) => ({
      name: `f${i}`,
      labels: [`l${i}`, 'common'],
    }))
    const table = tableOf(flavours, 'f0')
    expect(flavourOf(routeLabels(table, ['l69', 'common']))).toBe('f69')
    expect(flavourOf(routeLabels(table, ['l33']))).toBe('f33')
    expect(flavourOf(routeLabels(table, ['common']))).toBe('f0')
    expect(routeLabels(table, ['l33', 'l34']).routed).toBe(false)
  })

  it('routes the integration table of the reference', () => {
    const table = tableOf(
      [
        { name: 'small', labels: ['small', 'x64', 'jammy'] },
        { name: 'large', labels: ['large', 'x64', 'jammy'] },
        { name: 'noble-large', labels: ['large', 'x64', 'noble'] },
        { name: 'arm-large', labels: ['large', 'arm', 'jammy'] },
      ],
      'small',
    )
    const cases: [string[], string][] = [
      [['small', 'x64', 'jammy'], 'small'],
      [['small'], 'small'],
      [['x64'], 'small'],
      [['jammy'], 'small'],
      [[], 'small'],
      [['large', 'x64', 'jammy'], 'large'],
      [['large'], 'large'],
      [['x64', 'large'], 'large'],
      [['large', 'jammy'], 'large'],
      [['noble', 'large', 'x64'], 'noble-large'],
      [['noble'], 'noble-large'],
      [['noble', 'large'], 'noble-large'],
      [['large', 'arm', 'jammy'], 'arm-large'],
      [['arm'], 'arm-large'],
      [['arm', 'jammy'], 'arm-large'],
      [['arm', 'large'], 'arm-large'],
    ]
    for (const [labels, flavour] of cases) {
      expect(flavourOf(routeLabels(table, labels)), labels.join()).toBe(flavour)
    }
  })
})

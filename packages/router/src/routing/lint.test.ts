import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import type { FlavourConfig } from '../config/flavours.js'
import { lintRoutingConfig } from './lint.js'

function lint(flavours: FlavourConfig[], defaultFlavour = 'small') {
  return lintRoutingConfig(defineRouterConfig({ flavours, defaultFlavour }))
}

describe('lintRoutingConfig', () => {
  it('finds nothing wrong with the reference test flavours', () => {
    expect(
      lint([
        { name: 'small', labels: ['x64', 'small'] },
        { name: 'large', labels: ['arm64', 'large'] },
      ]),
    ).toEqual([])
  })

  it('warns when the default flavour is not among the flavours', () => {
    expect(lint([{ name: 'large', labels: ['large'] }], 'small')).toEqual([
      expect.objectContaining({ code: 'default-flavour-unknown', flavour: 'small' }),
    ])
  })

  it('warns when an earlier flavour has every label of a later one', () => {
    const warnings = lint([
      { name: 'small', labels: ['x64', 'small', 'jammy'] },
      { name: 'jammy', labels: ['JAMMY', 'x64'] },
    ])
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'flavour-shadowed', flavour: 'jammy' }),
    ])
    expect(warnings[0]?.message).toContain("'small'")
  })

  it('ignores self-hosted labels when deciding whether a flavour is shadowed', () => {
    const codes = lint([
      { name: 'small', labels: ['x64'] },
      { name: 'linux-x64', labels: ['x64', 'linux'] },
    ]).map((warning) => warning.code)
    expect(codes).toEqual(['label-is-self-hosted', 'flavour-shadowed'])
  })

  it('does not call a later flavour shadowed when it has a label the earlier lacks', () => {
    expect(
      lint([
        { name: 'small', labels: ['x64'] },
        { name: 'big', labels: ['x64', 'big'] },
      ]),
    ).toEqual([])
  })

  it('warns about a label that is stripped from every job', () => {
    expect(lint([{ name: 'small', labels: ['Self-Hosted', 'small'] }])).toEqual([
      expect.objectContaining({ code: 'label-is-self-hosted', flavour: 'small' }),
    ])
  })

  it('warns about a flavour with no labels, and not also as shadowed', () => {
    expect(
      lint([
        { name: 'small', labels: ['small'] },
        { name: 'empty', labels: [] },
      ]),
    ).toEqual([expect.objectContaining({ code: 'flavour-without-labels', flavour: 'empty' })])
  })

  it.each(['Large', 'x64_large', 'large-', 'large-2', '2large', 'a--b'])(
    'warns that the flavour name %s cannot be a consumer application',
    (name) => {
      expect(lint([{ name, labels: ['large'] }], name)).toEqual([
        expect.objectContaining({ code: 'flavour-name-not-an-application', flavour: name }),
      ])
    },
  )

  it.each(['large', 'x64-large', 'arm-large-2x', 'noble-large'])(
    'accepts the application name %s',
    (name) => {
      expect(lint([{ name, labels: ['large'] }], name)).toEqual([])
    },
  )
})

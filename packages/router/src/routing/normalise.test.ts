import { describe, expect, it } from 'vitest'
import { normaliseLabels } from './normalise.js'

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items]
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [
      item,
      ...rest,
    ]),
  )
}

describe('normaliseLabels', () => {
  it.each([
    [['self-hosted', 'linux', 'arm64'], [], ['arm64', 'linux', 'self-hosted']],
    [['self-hosted', 'linux'], ['self-hosted', 'linux'], []],
    [['self-hosted', 'linux'], ['self-hosted', 'linux', 'arm64'], []],
    [['ubuntu-latest'], ['self-hosted'], ['ubuntu-latest']],
    [['self-hosted', 'linux', 'amd'], ['self-hosted', 'linux'], ['amd']],
  ])('strips %j minus %j to %j in every input order', (labels, ignored, expected) => {
    for (const order of permutations(labels)) {
      expect(normaliseLabels(order, ignored).sort()).toEqual(expected)
    }
  })

  it('lowercases both the labels and the stripped list', () => {
    expect(normaliseLabels(['Self-Hosted', 'Linux', 'ARM64'], ['self-Hosted', 'linUX'])).toEqual([
      'arm64',
    ])
  })

  it('drops repeated labels, keeping the first-seen order', () => {
    expect(normaliseLabels(['X64', 'large', 'x64'], [])).toEqual(['x64', 'large'])
  })
})

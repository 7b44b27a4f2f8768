import { describe, expect, it } from 'vitest'
import { formatGoDuration, formatRequestTimeout, parseGoDuration } from './duration.js'

describe('Go durations (§1.5)', () => {
  it.each([
    ['500ms', 500],
    ['1.5s', 1500],
    ['4.000s', 4000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['0', 0],
    ['250us', 0.25],
  ])('parses %s', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms)
  })

  it.each(['', 'soon', '5', '1x', 's', '.s', '1m30'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined()
  })

  it.each([
    [300_000, '5m0s'],
    [4000, '4s'],
    [1500, '1.5s'],
    [200, '200ms'],
    [3_723_000, '1h2m3s'],
    [0, '0s'],
  ])('formats %d ms as Go does: %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text)
  })

  it('formats request timeouts the way ops does', () => {
    expect(formatRequestTimeout(4)).toBe('4.000s')
  })
})

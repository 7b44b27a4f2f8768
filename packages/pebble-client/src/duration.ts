/**
 * Go `time.Duration` strings, the format Pebble uses for every duration on the wire
 * (`"500ms"`, `"1.5s"`, `"1m30s"`; contract §1.5).
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Parses a Go duration string into milliseconds, or returns `undefined` when it is not one.
 *
 * @example
 * parseGoDuration('1m30s') // 90000
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < rest.length) {
    const match = PART.exec(rest)
    if (!match) return undefined
    const [, amount = '', unit = ''] = match
    if (amount === '' || amount === '.') return undefined
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN)
  }
  return Number.isFinite(total) ? sign * total : undefined
}

/**
 * Formats milliseconds the way Go's `Duration.String()` does, as Pebble prints them in
 * messages (`timed out after 5m0s`, `timed out waiting for change after 4s`).
 *
 * @example
 * formatGoDuration(300_000) // '5m0s'
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s'
  const sign = ms < 0 ? '-' : ''
  const abs = Math.abs(ms)
  if (abs < 1) return `${sign}${trim((abs * 1000).toFixed(3))}µs`
  if (abs < 1000) return `${sign}${trim(abs.toFixed(3))}ms`
  const hours = Math.floor(abs / 3_600_000)
  const minutes = Math.floor((abs % 3_600_000) / 60_000)
  const seconds = trim(((abs % 60_000) / 1000).toFixed(3))
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`
  return `${sign}${seconds}s`
}

/**
 * Formats seconds for a request the way `ops` does (`"4.000s"`), which Pebble accepts.
 *
 * @example
 * formatRequestTimeout(4) // '4.000s'
 */
export function formatRequestTimeout(seconds: number): string {
  return `${seconds.toFixed(3)}s`
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}

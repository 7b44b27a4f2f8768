import { createHash } from 'node:crypto'

/**
 * A short, stable, one-way stand-in for a secret config value (`sha256:<16 hex>`). It changes
 * when the secret does, so guards that compare configs decide as they would on the value.
 *
 * @example
 * fingerprintSecret('hunter2') // 'sha256:f52fbd32b2b3b86f'
 */
export function fingerprintSecret(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`
}

/**
 * The config as facts may record it: every non-empty string value of a sensitive option is
 * replaced by its fingerprint. Facts go into the unit's event log, on disk for the life of the
 * unit and printed by `charm-machine replay`, so secrets must never reach them. Effects that
 * need the real value read it through the hook tools.
 */
export function redactSensitiveConfig<T extends Record<string, string | number | boolean>>(
  config: T,
  sensitiveOptions: readonly string[],
): T {
  if (sensitiveOptions.length === 0) return config
  const redacted: Record<string, string | number | boolean> = { ...config }
  for (const option of sensitiveOptions) {
    const value = redacted[option]
    if (typeof value === 'string' && value !== '') redacted[option] = fingerprintSecret(value)
  }
  return redacted as T
}

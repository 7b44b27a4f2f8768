import { createHash } from 'node:crypto'
import type { HookTools } from '@webhook-router/charm-machine/juju'

/** Options whose values are secrets: they must not reach the unit's event log. */
export const SENSITIVE_OPTIONS = ['webhook-secret', 'webhook-secret-previous'] as const

/**
 * Hook tools whose `config-get` replaces sensitive values by a fingerprint
 * (`sha256:<16 hex>`). The lifecycle machine records the config in every log entry, on disk for
 * the life of the unit and printed by `charm-machine replay`; a fingerprint still changes when
 * the secret does, so decisions stay the same. The charm's effects read the real values through
 * the unwrapped tools.
 *
 * @example
 * ```ts
 * runHook(charm, { tools: withFingerprintedSecrets(tools) })
 * ```
 */
export function withFingerprintedSecrets(
  tools: HookTools,
  options: readonly string[] = SENSITIVE_OPTIONS,
): HookTools {
  return {
    ...tools,
    async configGet() {
      const config = { ...(await tools.configGet()) }
      for (const option of options) {
        const value = config[option]
        if (typeof value === 'string' && value !== '') config[option] = fingerprint(value)
      }
      return config
    },
  }
}

/** A short, stable, one-way stand-in for a secret value. */
export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`
}

/**
 * Options whose values are secrets. The charm declares them as `sensitiveOptions`, so the
 * unit's event log holds only their fingerprints (charm-machine's `redactSensitiveConfig`).
 */
export const SENSITIVE_OPTIONS = ['webhook-secret', 'webhook-secret-previous'] as const

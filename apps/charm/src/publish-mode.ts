// Kept apart from config.ts (and its YAML parser): the integration gates of every hook read it.

/**
 * What the router publishes (the workload's `APP_PUBLISH_MODE`): the kombu queues in MongoDB,
 * Canonical's webhook-gateway stream on RabbitMQ, or both during a migration.
 */
export const PUBLISH_MODES = ['kombu', 'stream', 'both'] as const

/** See {@link PUBLISH_MODES}. */
export type PublishMode = (typeof PUBLISH_MODES)[number]

/** The mode of a charm that was never told otherwise: today's kombu queues only. */
export const DEFAULT_PUBLISH_MODE: PublishMode = 'kombu'

/**
 * Reads `publish-mode` from raw config: the mode, or `undefined` when the value is not one
 * (unset or blank is the default). `parseCharmConfig` reports the bad value.
 */
export function publishModeOf(raw: Readonly<Record<string, unknown>>): PublishMode | undefined {
  const value = raw['publish-mode']
  if (value === undefined || value === null) return DEFAULT_PUBLISH_MODE
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (text === '') return DEFAULT_PUBLISH_MODE
  return PUBLISH_MODES.find((mode) => mode === text)
}

/** Whether the mode writes kombu queues, and so needs MongoDB and the flavour table. */
export function publishesKombu(mode: PublishMode): boolean {
  return mode !== 'stream'
}

/** Whether the mode publishes the gateway's stream, and so needs RabbitMQ. */
export function publishesStream(mode: PublishMode): boolean {
  return mode !== 'kombu'
}

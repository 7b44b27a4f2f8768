import { ConfigError } from './errors.js'
import { parseFlavours, uniqueLowercase } from './flavours.js'
import type { FlavourConfig } from './flavours.js'

/** The webhook secrets in force. Both unset means webhooks are not authenticated (as upstream). */
export interface WebhookSecrets {
  readonly current?: string | undefined
  /** The secret being rotated out; accepted beside `current` until the operator drops it. */
  readonly previous?: string | undefined
}

/** Everything the router needs to know, parsed once at start. A plain, readonly value. */
export interface RouterConfig {
  /** In config order: the first flavour that has all of a job's labels wins. */
  readonly flavours: readonly FlavourConfig[]
  /** Where a job goes when no label is left after stripping the self-hosted ones. */
  readonly defaultFlavour: string
  /** Lowercased labels removed from every job before routing (`self-hosted`, `linux`). */
  readonly selfHostedLabels: readonly string[]
  readonly secrets: WebhookSecrets
  /** Larger bodies get 413 before the signature is computed. */
  readonly maxBodyBytes: number
  /** Bound on one queue write or health check; must stay under GitHub's 10 s delivery timeout. */
  readonly publishTimeoutMs: number
  /** How long a delivery id or job id is remembered for dedup. */
  readonly dedupRetentionMs: number
}

/** The environment variables `parseRouterConfig` reads (paas-charm's 12-factor names). */
export const routerEnvNames = {
  flavours: 'APP_FLAVOURS',
  defaultFlavour: 'APP_DEFAULT_FLAVOUR',
  selfHostedLabels: 'APP_DEFAULT_SELF_HOSTED_LABELS',
  webhookSecret: 'APP_WEBHOOK_SECRET',
  webhookSecretPrevious: 'APP_WEBHOOK_SECRET_PREVIOUS',
  maxBodyBytes: 'APP_MAX_BODY_BYTES',
  publishTimeoutMs: 'APP_PUBLISH_TIMEOUT_MS',
  dedupRetentionHours: 'APP_DEDUP_RETENTION_HOURS',
} as const

/** Defaults for every optional setting. */
export const routerConfigDefaults = {
  selfHostedLabels: 'self-hosted,linux',
  maxBodyBytes: 1024 * 1024,
  publishTimeoutMs: 5000,
  dedupRetentionHours: 168,
} as const

const hourMs = 60 * 60 * 1000

/**
 * Reads the router's settings from environment variables and validates them.
 *
 * Checks `FLAVOURS`, then `DEFAULT_FLAVOUR`, then `DEFAULT_SELF_HOSTED_LABELS`, as the reference
 * does, then the secrets and numbers. Unlike the reference, the self-hosted labels are trimmed
 * and empty entries dropped, so `self-hosted, linux` means what it says.
 *
 * @throws ConfigError with a one-line message naming the setting.
 * @example
 * ```ts
 * const config = parseRouterConfig({
 *   APP_FLAVOURS: '- small: [x64, small]\n- large: [arm64, large]',
 *   APP_DEFAULT_FLAVOUR: 'small',
 *   APP_WEBHOOK_SECRET: 's3cret',
 * })
 * config.flavours[1] // { name: 'large', labels: ['arm64', 'large'] }
 * ```
 */
export function parseRouterConfig(env: Readonly<Record<string, string | undefined>>): RouterConfig {
  const names = routerEnvNames
  const flavours = parseFlavours(env[names.flavours])
  const defaultFlavour = env[names.defaultFlavour]
  if (defaultFlavour === undefined || defaultFlavour === '') {
    throw new ConfigError('DEFAULT_FLAVOUR config is not set!')
  }
  const selfHostedLabels = parseLabelList(
    env[names.selfHostedLabels] ?? routerConfigDefaults.selfHostedLabels,
  )
  if (selfHostedLabels.length === 0) {
    throw new ConfigError('DEFAULT_SELF_HOSTED_LABELS config is not set!')
  }
  const current = nonEmpty(env[names.webhookSecret])
  const previous = nonEmpty(env[names.webhookSecretPrevious])
  if (previous !== undefined && current === undefined) {
    throw new ConfigError(
      `${names.webhookSecretPrevious} is set but ${names.webhookSecret} is not; set the new secret first.`,
    )
  }
  const read = (name: string, fallback: number, max: number): number =>
    parseBoundedInteger(name, env[name], fallback, 1, max)
  return {
    flavours,
    defaultFlavour,
    selfHostedLabels,
    secrets: { current, previous },
    maxBodyBytes: read(names.maxBodyBytes, routerConfigDefaults.maxBodyBytes, 100 * 1024 * 1024),
    publishTimeoutMs: read(names.publishTimeoutMs, routerConfigDefaults.publishTimeoutMs, 9000),
    dedupRetentionMs:
      read(names.dedupRetentionHours, routerConfigDefaults.dedupRetentionHours, 24 * 365) * hourMs,
  }
}

/** Splits a comma-separated label list, trimming and lowercasing entries and dropping empty ones. */
export function parseLabelList(text: string): string[] {
  return uniqueLowercase(
    text
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== ''),
  )
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function parseBoundedInteger(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const text = raw.trim()
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${shown}'.`)
  }
  return value
}

/** What an embedder writes by hand; `defineRouterConfig` fills in defaults and normalises. */
export interface RouterConfigInput {
  readonly flavours: readonly FlavourConfig[]
  readonly defaultFlavour: string
  readonly selfHostedLabels?: readonly string[] | undefined
  readonly secrets?: WebhookSecrets | undefined
  readonly maxBodyBytes?: number | undefined
  readonly publishTimeoutMs?: number | undefined
  readonly dedupRetentionMs?: number | undefined
}

/**
 * Builds a `RouterConfig` in code (tests, embedders without environment variables): labels are
 * lowercased and the same defaults apply as for `parseRouterConfig`.
 *
 * @example
 * ```ts
 * const config = defineRouterConfig({
 *   flavours: [{ name: 'small', labels: ['x64', 'small'] }],
 *   defaultFlavour: 'small',
 * })
 * ```
 */
export function defineRouterConfig(input: RouterConfigInput): RouterConfig {
  return {
    flavours: input.flavours.map((flavour) => ({
      name: flavour.name,
      labels: uniqueLowercase(flavour.labels),
    })),
    defaultFlavour: input.defaultFlavour,
    selfHostedLabels: uniqueLowercase(
      input.selfHostedLabels ?? parseLabelList(routerConfigDefaults.selfHostedLabels),
    ),
    secrets: { current: input.secrets?.current, previous: input.secrets?.previous },
    maxBodyBytes: input.maxBodyBytes ?? routerConfigDefaults.maxBodyBytes,
    publishTimeoutMs: input.publishTimeoutMs ?? routerConfigDefaults.publishTimeoutMs,
    dedupRetentionMs: input.dedupRetentionMs ?? routerConfigDefaults.dedupRetentionHours * hourMs,
  }
}

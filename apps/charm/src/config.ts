import * as v from 'valibot'
import { parse as parseYaml } from 'yaml'
import {
  DEFAULT_PUBLISH_MODE,
  PUBLISH_MODES,
  publishModeOf,
  publishesKombu,
  type PublishMode,
} from './publish-mode.js'

/** The log levels `webhook-router` accepts (case-insensitive in config, as paas-charm's). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const

/** A workload log level, upper-cased. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Settings for automatic redelivery of failed webhooks. */
export interface RedeliveryConfig {
  readonly intervalSeconds: number
  readonly githubPath: string
  readonly webhookId: number
  /** The `redelivery-github-auth` secret URI; its content is read with `secret-get`. */
  readonly authSecretId: string
}

/** The charm configuration after validation. */
export interface CharmConfig {
  readonly publishMode: PublishMode
  /**
   * The `flavours` option exactly as given; the workload parses it again. Required unless the
   * mode is `stream`, which routes nothing.
   */
  readonly flavours?: string
  readonly flavourNames: readonly string[]
  readonly defaultFlavour?: string
  readonly defaultSelfHostedLabels: string
  readonly logLevel: LogLevel
  readonly webhookSecret?: string
  readonly webhookSecretPrevious?: string
  readonly redelivery?: RedeliveryConfig
  readonly githubApiUrl?: string
}

/** One problem with one option. */
export interface ConfigProblem {
  readonly option: string
  readonly reason: string
}

/** The result of {@link parseCharmConfig}: the config, or a blocked-status message. */
export type ConfigResult =
  | { readonly ok: true; readonly config: CharmConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly message: string }

const GITHUB_PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)?$/
/** Juju status messages are shown in one table cell; keep them readable. */
const MAX_MESSAGE = 240

/**
 * Validates the output of `config-get --format=json` and returns either the typed config or
 * one blocked-status message naming every bad option and why.
 *
 * @example
 * ```ts
 * const result = parseCharmConfig({ flavours: '- small: [small]', 'default-flavour': 'small' })
 * if (!result.ok) setStatus('blocked', result.message)
 * ```
 */
export function parseCharmConfig(raw: unknown): ConfigResult {
  const config = v.safeParse(ConfigObject, raw)
  const values = config.success ? config.output : {}
  const problems: ConfigProblem[] = []
  const problem = (option: string, reason: string): void => {
    problems.push({ option, reason })
  }

  const publishMode = publishModeOf(values)
  if (publishMode === undefined) {
    problem('publish-mode', `must be one of ${PUBLISH_MODES.join(', ')}`)
  }
  // A bad mode is reported once; the routing options are then checked as the default needs.
  const routes = publishesKombu(publishMode ?? DEFAULT_PUBLISH_MODE)

  const flavours = optionalString(values, 'flavours', problem)
  let flavourNames: string[] = []
  if (flavours === undefined) {
    if (routes) problem('flavours', 'is required')
  } else {
    const parsed = parseFlavours(flavours)
    if (typeof parsed === 'string') problem('flavours', parsed)
    else flavourNames = parsed
  }

  const defaultFlavour = optionalString(values, 'default-flavour', problem)
  if (defaultFlavour === undefined) {
    if (routes) problem('default-flavour', 'is required')
  } else if (flavourNames.length > 0 && !flavourNames.includes(defaultFlavour)) {
    problem('default-flavour', `"${defaultFlavour}" is not one of the flavours`)
  }

  const labels =
    optionalString(values, 'default-self-hosted-labels', problem) ?? 'self-hosted,linux'
  if (labels.split(',').some((label) => label.trim() === '')) {
    problem('default-self-hosted-labels', 'must be comma-separated labels with no empty entry')
  }

  const levelText = (optionalString(values, 'log-level', problem) ?? 'INFO').toUpperCase()
  const logLevel = LOG_LEVELS.find((level) => level === levelText)
  if (logLevel === undefined) problem('log-level', `must be one of ${LOG_LEVELS.join(', ')}`)

  const webhookSecret = optionalString(values, 'webhook-secret', problem)
  const webhookSecretPrevious = optionalString(values, 'webhook-secret-previous', problem)
  if (webhookSecretPrevious !== undefined) {
    if (webhookSecret === undefined) problem('webhook-secret-previous', 'needs webhook-secret')
    else if (webhookSecretPrevious === webhookSecret) {
      problem('webhook-secret-previous', 'must differ from webhook-secret')
    }
  }

  const redelivery = parseRedelivery(values, problem)

  const githubApiUrl = optionalString(values, 'github-api-url', problem)
  if (githubApiUrl !== undefined && !isHttpUrl(githubApiUrl)) {
    problem('github-api-url', 'must be an http(s) URL')
  }

  if (problems.length > 0 || publishMode === undefined || !logLevel) {
    return { ok: false, problems, message: configProblemsMessage(problems) }
  }
  return {
    ok: true,
    config: {
      publishMode,
      ...(flavours !== undefined && { flavours }),
      flavourNames,
      ...(defaultFlavour !== undefined && { defaultFlavour }),
      defaultSelfHostedLabels: labels,
      logLevel,
      ...(webhookSecret !== undefined && { webhookSecret }),
      ...(webhookSecretPrevious !== undefined && { webhookSecretPrevious }),
      ...(redelivery !== undefined && { redelivery }),
      ...(githubApiUrl !== undefined && { githubApiUrl }),
    },
  }
}

/** Formats problems as one status line, e.g. `invalid config: flavours is required`. */
export function configProblemsMessage(problems: readonly ConfigProblem[]): string {
  const text = `invalid config: ${problems.map((p) => `${p.option} ${p.reason}`).join('; ')}`
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`
}

/**
 * Parses the `flavours` YAML into flavour names, or returns why it is not a routing table.
 * The rules match the workload's: a non-empty list of one-key maps, each to a list of labels.
 */
export function parseFlavours(text: string): string[] | string {
  let document: unknown
  try {
    document = parseYaml(text)
  } catch (error) {
    const first = String((error as Error).message).split('\n')[0] ?? ''
    return `is not valid YAML (${first})`
  }
  if (!Array.isArray(document) || document.length === 0) {
    return 'must be a non-empty YAML list of one-key maps, e.g. "- small: [small, x64]"'
  }
  const names: string[] = []
  for (const [index, entry] of document.entries()) {
    if (!isRecord(entry) || Object.keys(entry).length !== 1) {
      return `entry ${index + 1} must be a map with exactly one flavour name`
    }
    const [name, labels] = Object.entries(entry)[0] as [string, unknown]
    if (name.trim() === '') return `entry ${index + 1} has an empty flavour name`
    if (names.includes(name)) return `has the flavour "${name}" twice`
    if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string' || !label)) {
      return `flavour "${name}" must map to a list of non-empty labels`
    }
    names.push(name)
  }
  return names
}

function parseRedelivery(
  values: Record<string, unknown>,
  problem: (option: string, reason: string) => void,
): RedeliveryConfig | undefined {
  const interval = optionalInteger(values, 'redelivery-interval', problem) ?? 0
  const githubPath = optionalString(values, 'redelivery-github-path', problem)
  const webhookId = optionalInteger(values, 'redelivery-webhook-id', problem) ?? 0
  const authSecretId = optionalString(values, 'redelivery-github-auth', problem)
  if (interval < 0) problem('redelivery-interval', 'must be 0 (off) or a number of seconds')
  if (interval > 0 && interval < 60) problem('redelivery-interval', 'must be at least 60 seconds')
  // The workload refuses longer intervals: a scan must cover its window before GitHub forgets.
  if (interval > 86_400) problem('redelivery-interval', 'must be at most 86400 seconds (a day)')
  if (githubPath !== undefined && !GITHUB_PATH.test(githubPath)) {
    problem('redelivery-github-path', 'must be "org" or "org/repo"')
  }
  if (webhookId < 0) problem('redelivery-webhook-id', 'must be a positive webhook id')
  if (interval <= 0) return undefined
  if (githubPath === undefined)
    problem('redelivery-github-path', 'is required by redelivery-interval')
  if (webhookId === 0) problem('redelivery-webhook-id', 'is required by redelivery-interval')
  if (authSecretId === undefined)
    problem('redelivery-github-auth', 'is required by redelivery-interval')
  if (githubPath === undefined || webhookId <= 0 || authSecretId === undefined) return undefined
  return { intervalSeconds: interval, githubPath, webhookId, authSecretId }
}

/** config-get's JSON is foreign input: each option is checked against its declared type. */
const StringOption = v.nullish(v.string())
const IntegerOption = v.nullish(v.pipe(v.number(), v.safeInteger()))
const ConfigObject = v.record(v.string(), v.unknown())

/** Reads a string option; an empty or blank string counts as unset, as `juju config x=` means. */
function optionalString(
  values: Record<string, unknown>,
  option: string,
  problem: (option: string, reason: string) => void,
): string | undefined {
  const parsed = v.safeParse(StringOption, values[option])
  if (!parsed.success) {
    problem(option, 'must be a string')
    return undefined
  }
  const value = parsed.output
  return value === undefined || value === null || value.trim() === '' ? undefined : value
}

function optionalInteger(
  values: Record<string, unknown>,
  option: string,
  problem: (option: string, reason: string) => void,
): number | undefined {
  const parsed = v.safeParse(IntegerOption, values[option])
  if (!parsed.success) {
    problem(option, 'must be an integer')
    return undefined
  }
  return parsed.output ?? undefined
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

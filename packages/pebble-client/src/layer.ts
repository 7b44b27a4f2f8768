/**
 * The layer schema (contract §3.2) as TypeScript types, plus YAML (de)serialisation.
 * Keys are Pebble's own kebab-case YAML keys, so a layer reads the same in TypeScript, in YAML
 * and in Pebble's documentation. Durations are Go duration strings (`'500ms'`, `'1m30s'`).
 */
import * as v from 'valibot'
import YAML from 'yaml'
import { parseGoDuration } from './duration.js'

/** How a layer entry combines with the same entry of earlier layers (§3.3). */
export type Override = 'merge' | 'replace'
/** What Pebble does when a service exits (§3.2). */
export type ServiceAction =
  'restart' | 'shutdown' | 'failure-shutdown' | 'success-shutdown' | 'ignore'

/** A service entry of a layer (§3.2). Only `override` is required per layer. */
export interface ServiceConfig {
  override: Override
  summary?: string
  description?: string
  startup?: 'enabled' | 'disabled'
  /** Command line, split shell-like (not run by a shell); `[ ... ]` marks default arguments. */
  command?: string
  after?: string[]
  before?: string[]
  requires?: string[]
  environment?: Record<string, string>
  'user-id'?: number
  user?: string
  'group-id'?: number
  group?: string
  'working-dir'?: string
  'on-success'?: 'restart' | 'shutdown' | 'failure-shutdown' | 'ignore'
  'on-failure'?: 'restart' | 'shutdown' | 'success-shutdown' | 'ignore'
  'on-check-failure'?: Record<string, 'restart' | 'shutdown' | 'success-shutdown' | 'ignore'>
  'backoff-delay'?: string
  'backoff-factor'?: number
  'backoff-limit'?: string
  /** Grace between SIGTERM and SIGKILL when stopping (default `5s`). */
  'kill-delay'?: string
  workload?: string
}

/** `http` check: success is a 2xx answer. */
export interface HttpCheckConfig {
  url?: string
  headers?: Record<string, string>
}
/** `tcp` check: success is an accepted connection. */
export interface TcpCheckConfig {
  port?: number
  host?: string
}
/** `exec` check: success is exit code 0. */
export interface ExecCheckConfig {
  command?: string
  'service-context'?: string
  environment?: Record<string, string>
  'user-id'?: number
  user?: string
  'group-id'?: number
  group?: string
  'working-dir'?: string
}

/** A check entry of a layer (§3.2, §7). The combined plan needs exactly one of http/tcp/exec. */
export interface CheckConfig {
  override: Override
  level?: 'alive' | 'ready'
  startup?: 'enabled' | 'disabled'
  period?: string
  timeout?: string
  threshold?: number
  http?: HttpCheckConfig
  tcp?: TcpCheckConfig
  exec?: ExecCheckConfig
}

/** A log target entry of a layer (§3.2). */
export interface LogTargetConfig {
  override: Override
  type?: 'loki' | 'opentelemetry' | 'syslog'
  location?: string
  services?: string[]
  labels?: Record<string, string>
}

/**
 * A Pebble layer; the combined plan has the same shape.
 *
 * @example
 * const layer: Layer = {
 *   summary: 'router',
 *   services: { router: { override: 'replace', command: 'webhook-router serve', startup: 'enabled' } },
 * }
 */
export interface Layer {
  summary?: string
  description?: string
  services?: Record<string, ServiceConfig>
  checks?: Record<string, CheckConfig>
  'log-targets'?: Record<string, LogTargetConfig>
}

/** A layer that Pebble would reject while parsing (`cannot parse layer YAML: ...`, §3). */
export class LayerParseError extends Error {
  override readonly name = 'LayerParseError'
}

// Go's YAML decoder turns any scalar into a string field, so `PORT: 8080` is accepted.
const StringLike = v.pipe(
  v.union([v.string(), v.number(), v.boolean()]),
  v.transform((value) => String(value)),
)
const StringMap = v.record(v.string(), StringLike)
const Duration = v.pipe(
  StringLike,
  v.check((text) => parseGoDuration(text) !== undefined, 'invalid duration'),
)
const Int = v.pipe(v.number(), v.integer())
const Names = v.array(v.string())
// `override` is checked when layers are combined (§3.3), so the parser lets any string through.
const OverrideField = v.optional(v.string())
const Action = v.picklist(['restart', 'shutdown', 'failure-shutdown', 'success-shutdown', 'ignore'])

const ServiceSchema = v.strictObject({
  override: OverrideField,
  summary: v.optional(v.string()),
  description: v.optional(v.string()),
  startup: v.optional(v.picklist(['enabled', 'disabled', ''])),
  command: v.optional(v.string()),
  after: v.optional(Names),
  before: v.optional(Names),
  requires: v.optional(Names),
  environment: v.optional(StringMap),
  'user-id': v.optional(Int),
  user: v.optional(v.string()),
  'group-id': v.optional(Int),
  group: v.optional(v.string()),
  'working-dir': v.optional(v.string()),
  'on-success': v.optional(v.picklist(['restart', 'shutdown', 'failure-shutdown', 'ignore'])),
  'on-failure': v.optional(v.picklist(['restart', 'shutdown', 'success-shutdown', 'ignore'])),
  'on-check-failure': v.optional(v.record(v.string(), Action)),
  'backoff-delay': v.optional(Duration),
  'backoff-factor': v.optional(v.pipe(v.number(), v.minValue(1))),
  'backoff-limit': v.optional(Duration),
  'kill-delay': v.optional(Duration),
  workload: v.optional(v.string()),
})

const CheckSchema = v.strictObject({
  override: OverrideField,
  level: v.optional(v.picklist(['alive', 'ready', ''])),
  startup: v.optional(v.picklist(['enabled', 'disabled', ''])),
  period: v.optional(Duration),
  timeout: v.optional(Duration),
  threshold: v.optional(v.pipe(Int, v.minValue(0))),
  http: v.optional(v.strictObject({ url: v.optional(v.string()), headers: v.optional(StringMap) })),
  tcp: v.optional(v.strictObject({ port: v.optional(Int), host: v.optional(v.string()) })),
  exec: v.optional(
    v.strictObject({
      command: v.optional(v.string()),
      'service-context': v.optional(v.string()),
      environment: v.optional(StringMap),
      'user-id': v.optional(Int),
      user: v.optional(v.string()),
      'group-id': v.optional(Int),
      group: v.optional(v.string()),
      'working-dir': v.optional(v.string()),
    }),
  ),
})

const LogTargetSchema = v.strictObject({
  override: OverrideField,
  type: v.optional(v.picklist(['loki', 'opentelemetry', 'syslog', ''])),
  location: v.optional(v.string()),
  services: v.optional(Names),
  labels: v.optional(StringMap),
})

const LayerSchema = v.object({
  summary: v.optional(v.string()),
  description: v.optional(v.string()),
  services: v.optional(v.nullable(v.record(v.string(), ServiceSchema))),
  checks: v.optional(v.nullable(v.record(v.string(), CheckSchema))),
  'log-targets': v.optional(v.nullable(v.record(v.string(), LogTargetSchema))),
})

const SECTIONS = new Set(['summary', 'description', 'services', 'checks', 'log-targets'])

/**
 * Parses and validates layer YAML the way Pebble does before combining (§3.2): unknown
 * sections and unknown keys are rejected; `override` is left for the combine step (§3.3).
 *
 * @throws {LayerParseError} with a one-line reason.
 * @example
 * const layer = parseLayerYaml('services:\n  web:\n    override: replace\n    command: node server.js\n')
 */
export function parseLayerYaml(text: string): Layer {
  let raw: unknown
  try {
    raw = YAML.parse(text, { uniqueKeys: true }) ?? {}
  } catch (error) {
    throw new LayerParseError((error as Error).message.split('\n')[0] ?? 'invalid YAML')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new LayerParseError('layer must be a YAML mapping')
  }
  for (const key of Object.keys(raw)) {
    if (!SECTIONS.has(key)) throw new LayerParseError(`unknown section "${key}"`)
  }
  const unsafe = findUnsafeKey(raw)
  if (unsafe !== undefined) {
    // Valibot, like any JS object code, drops these keys; refusing beats silently losing them.
    throw new LayerParseError(`cannot use the name "${unsafe}": reserved in JavaScript objects`)
  }
  const result = v.safeParse(LayerSchema, raw)
  if (!result.success) throw new LayerParseError(describeIssue(result.issues[0]))
  const layer = result.output
  for (const name of Object.keys(layer.services ?? {})) {
    if (name === '' || name === 'pebble' || name.startsWith('-')) {
      throw new LayerParseError(`cannot use service name "${name}"`)
    }
  }
  return dropNulls(layer) as Layer
}

/**
 * Serialises a layer to the YAML Pebble expects (`format: yaml` in `POST /v1/layers`).
 *
 * @example
 * layerToYaml({ services: { web: { override: 'replace', command: 'node server.js' } } })
 */
export function layerToYaml(layer: Layer): string {
  return YAML.stringify(layer)
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

function findUnsafeKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, child] of Object.entries(value)) {
    if (UNSAFE_KEYS.has(key)) return key
    const nested = findUnsafeKey(child)
    if (nested !== undefined) return nested
  }
  return undefined
}

function describeIssue(issue: v.BaseIssue<unknown> | undefined): string {
  if (!issue) return 'invalid layer'
  const path = (issue.path ?? []).map((item) => String(item.key)).join('.')
  if (issue.kind === 'schema' && issue.expected === 'never') {
    return `field ${path.split('.').at(-1)} not found in ${path.split('.').slice(0, -1).join('.')}`
  }
  return path ? `${path}: ${issue.message}` : issue.message
}

function dropNulls(layer: v.InferOutput<typeof LayerSchema>): unknown {
  const copy: Record<string, unknown> = { ...layer }
  for (const key of ['services', 'checks', 'log-targets']) {
    if (copy[key] === null) delete copy[key]
  }
  return copy
}

/**
 * Folding layers into the plan, validating it, and rendering it as Pebble does (contract §3.3, §4).
 */
import YAML from 'yaml'
import { parseGoDuration } from '../duration.js'
import type { CheckConfig, Layer, LogTargetConfig, ServiceConfig } from '../layer.js'
import { orderServices } from './service-order.js'

/** A plan problem Pebble reports as 400 with the message as is (`FormatError`, §3 step 7). */
export class PlanFormatError extends Error {
  override readonly name = 'PlanFormatError'
}

export interface LabelledLayer {
  label: string
  layer: Layer
}

type Section = 'services' | 'checks' | 'log-targets'
const ENTRY_WORD: Record<Section, string> = {
  services: 'service',
  checks: 'check',
  'log-targets': 'log target',
}

/** Folds layers in order into one plan (§3.3). Throws {@link PlanFormatError} on a bad override. */
export function combineLayers(layers: readonly LabelledLayer[]): Layer {
  const plan: Required<Pick<Layer, Section>> & Layer = {
    services: {},
    checks: {},
    'log-targets': {},
  }
  for (const { label, layer } of layers) {
    if (layer.summary) plan.summary = layer.summary
    if (layer.description) plan.description = layer.description
    for (const section of ['services', 'checks', 'log-targets'] as const) {
      const target = plan[section] as Record<string, object>
      for (const [name, entry] of Object.entries(layer[section] ?? {})) {
        const override: unknown = (entry as { override?: unknown }).override
        const word = ENTRY_WORD[section]
        if (override === undefined || override === '') {
          throw new PlanFormatError(`layer "${label}" must define "override" for ${word} "${name}"`)
        }
        if (override !== 'merge' && override !== 'replace') {
          throw new PlanFormatError(
            `layer "${label}" has invalid "override" value for ${word} "${name}"`,
          )
        }
        const earlier = target[name]
        target[name] =
          override === 'replace' || earlier === undefined
            ? structuredClone(entry)
            : mergeEntry(section, earlier, entry)
      }
    }
  }
  return plan
}

function mergeEntry(section: Section, earlier: object, newer: object): object {
  const merged: Record<string, unknown> = structuredClone(earlier) as Record<string, unknown>
  for (const [key, value] of Object.entries(newer)) {
    // The earlier override is kept: merging never changes how an entry was first defined (§3.3).
    if (key === 'override' || value === undefined || value === '') continue
    const old = merged[key]
    if (Array.isArray(value)) {
      merged[key] = [...(Array.isArray(old) ? old : []), ...value]
    } else if (typeof value === 'object' && value !== null) {
      merged[key] = mergeMaps(section, key, old, value as Record<string, unknown>)
    } else {
      merged[key] = value
    }
  }
  return merged
}

function mergeMaps(
  section: Section,
  key: string,
  old: unknown,
  value: Record<string, unknown>,
): unknown {
  const base = typeof old === 'object' && old !== null ? (old as Record<string, unknown>) : {}
  // Check sub-objects (http/tcp/exec) merge field-wise, and their maps key-by-key (§3.3).
  if (section === 'checks' && ['http', 'tcp', 'exec'].includes(key)) {
    const result: Record<string, unknown> = { ...base }
    for (const [field, fieldValue] of Object.entries(value)) {
      if (fieldValue === undefined || fieldValue === '') continue
      const current = result[field]
      result[field] =
        typeof fieldValue === 'object' &&
        fieldValue !== null &&
        typeof current === 'object' &&
        current !== null
          ? { ...current, ...fieldValue }
          : fieldValue
    }
    return result
  }
  return { ...base, ...value }
}

/** Validates the combined plan (§3.3 "After folding"). Throws {@link PlanFormatError}. */
export function validatePlan(plan: Layer): void {
  const services = plan.services ?? {}
  for (const [name, service] of Object.entries(services)) {
    if (!service.command)
      throw new PlanFormatError(`plan must define "command" for service "${name}"`)
    if (
      (service.group || service['group-id'] !== undefined) &&
      !service.user &&
      service['user-id'] === undefined
    ) {
      throw new PlanFormatError(`service "${name}" must specify user, not just group`)
    }
    for (const relation of ['after', 'before', 'requires'] as const) {
      for (const other of service[relation] ?? []) {
        if (!Object.hasOwn(services, other)) {
          throw new PlanFormatError(
            `service "${name}" has "${relation}" on missing service "${other}"`,
          )
        }
      }
    }
  }
  for (const [name, check] of Object.entries(plan.checks ?? {}))
    validateCheck(name, check, services)
  for (const [name, target] of Object.entries(plan['log-targets'] ?? {}))
    validateLogTarget(name, target, services)
  orderServices(services, Object.keys(services))
}

function validateCheck(
  name: string,
  check: CheckConfig,
  services: Record<string, ServiceConfig>,
): void {
  const kinds = [check.http, check.tcp, check.exec].filter((kind) => kind !== undefined).length
  if (kinds !== 1) {
    throw new PlanFormatError(
      `plan must specify one of "http", "tcp", or "exec" for check "${name}"`,
    )
  }
  if (check.period !== undefined && parseGoDuration(check.period) === 0) {
    throw new PlanFormatError(`plan check "${name}" period must not be zero`)
  }
  if (check.http && !check.http.url)
    throw new PlanFormatError(`plan must set "url" for http check "${name}"`)
  if (check.tcp && !check.tcp.port)
    throw new PlanFormatError(`plan must set "port" for tcp check "${name}"`)
  if (check.exec && !check.exec.command) {
    throw new PlanFormatError(`plan must set "command" for exec check "${name}"`)
  }
  const context = check.exec?.['service-context']
  if (context && !Object.hasOwn(services, context)) {
    throw new PlanFormatError(
      `plan check "${name}" service context specifies non-existent service "${context}"`,
    )
  }
}

function validateLogTarget(
  name: string,
  target: LogTargetConfig,
  services: Record<string, ServiceConfig>,
): void {
  if (!target.type) throw new PlanFormatError(`plan must define "type" for log target "${name}"`)
  if (!target.location)
    throw new PlanFormatError(`plan must define "location" for log target "${name}"`)
  for (const entry of target.services ?? []) {
    const service = entry.startsWith('-') ? entry.slice(1) : entry
    if (service !== 'all' && !Object.hasOwn(services, service)) {
      throw new PlanFormatError(`log target "${name}" specifies unknown service "${service}"`)
    }
  }
}

const SERVICE_KEYS = [
  'summary',
  'description',
  'startup',
  'override',
  'command',
  'after',
  'before',
  'requires',
  'environment',
  'user-id',
  'user',
  'group-id',
  'group',
  'working-dir',
  'on-success',
  'on-failure',
  'on-check-failure',
  'backoff-delay',
  'backoff-factor',
  'backoff-limit',
  'kill-delay',
  'workload',
] as const
const CHECK_KEYS = [
  'override',
  'level',
  'startup',
  'period',
  'timeout',
  'threshold',
  'http',
  'tcp',
  'exec',
] as const
const LOG_TARGET_KEYS = ['type', 'location', 'services', 'override', 'labels'] as const

/**
 * Renders the plan as `GET /v1/plan?format=yaml` does (§4): sections in order, names sorted,
 * fields in Pebble's struct order, 4-space indent, check `threshold` defaulted to 3.
 */
export function renderPlanYaml(plan: Layer): string {
  const out: Record<string, unknown> = {}
  const sections = [
    ['services', SERVICE_KEYS],
    ['checks', CHECK_KEYS],
    ['log-targets', LOG_TARGET_KEYS],
  ] as const
  for (const [section, keys] of sections) {
    const entries = Object.entries(plan[section] ?? {}).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    if (entries.length === 0) continue
    out[section] = Object.fromEntries(
      entries.map(([name, entry]) => {
        const source = section === 'checks' ? { threshold: 3, ...entry } : entry
        return [name, pick(source as Record<string, unknown>, keys)]
      }),
    )
  }
  return Object.keys(out).length === 0
    ? '{}\n'
    : YAML.stringify(out, { indent: 4, sortMapEntries: false })
}

function pick(entry: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const key of keys) {
    const value = entry[key]
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
      continue
    result[key] = renderValue(key, value)
  }
  return result
}

// Go's YAML encoder writes map keys sorted and struct fields in declaration order.
const MAP_KEYS = new Set(['environment', 'on-check-failure', 'labels', 'headers'])
const CHECK_TYPE_KEYS: Record<string, readonly string[]> = {
  http: ['url', 'headers'],
  tcp: ['port', 'host'],
  exec: [
    'command',
    'service-context',
    'environment',
    'user-id',
    'user',
    'group-id',
    'group',
    'working-dir',
  ],
}

function renderValue(key: string, value: unknown): unknown {
  const fields = CHECK_TYPE_KEYS[key]
  if (fields && typeof value === 'object' && value !== null)
    return pick(value as Record<string, unknown>, fields)
  if (!MAP_KEYS.has(key) || typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/**
 * The double's daemon: layers, plan, and the JSON endpoints of contract §2–§7 and §11, built on
 * the change store and the service, check and exec managers.
 */
import { randomUUID } from 'node:crypto'
import * as v from 'valibot'
import { formatGoDuration, parseGoDuration } from '../duration.js'
import { LayerParseError, parseLayerYaml, type Layer } from '../layer.js'
import { ChangeStore } from './changes.js'
import { CheckManager } from './checks.js'
import { asyncReply, errorReply, syncReply, type Reply } from './envelope.js'
import { ExecManager } from './exec.js'
import { firstIssue, HttpError } from './http-error.js'
import {
  combineLayers,
  PlanFormatError,
  renderPlanYaml,
  validatePlan,
  type LabelledLayer,
} from './plan.js'
import { planServiceAction } from './service-order.js'
import { ServiceManager } from './services.js'

/** Timings and effects of the double. Defaults are Pebble's; shorten them in tests. */
export interface DaemonOptions {
  /** §5.3: a start fails if the process exits sooner (default 1000). */
  okayDelayMs?: number
  /** §9.2: exec websockets must connect within this (default 5000). */
  execConnectTimeoutMs?: number
  /** §5.2: after SIGKILL, how long until a stop fails (default 5000). */
  stopFailDelayMs?: number
  /** Environment the daemon passes on to services and execs (default `process.env`). */
  environment?: Readonly<Record<string, string | undefined>>
  /** Clock for timestamps (default `new Date()`). */
  now?: () => Date
  /** Backoff jitter source (default `Math.random`). */
  random?: () => number
  /** `version` in system-info (default `v1.32.1`, the Pebble the contract describes). */
  version?: string
}

const LayersRequestSchema = v.looseObject({
  action: v.optional(v.string(), ''),
  combine: v.optional(v.boolean(), false),
  inner: v.optional(v.boolean(), false),
  label: v.optional(v.string(), ''),
  format: v.optional(v.string(), ''),
  layer: v.optional(v.string(), ''),
})
const ServicesRequestSchema = v.looseObject({
  action: v.optional(v.string(), ''),
  services: v.optional(v.nullable(v.array(v.string())), []),
})
const ChecksRequestSchema = v.looseObject({
  action: v.optional(v.string(), ''),
  checks: v.optional(v.nullable(v.array(v.string())), []),
})
const SignalsRequestSchema = v.looseObject({ signal: v.string(), services: v.array(v.string()) })

const VERBS: Record<string, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  autostart: 'Autostart',
  replan: 'Replan',
}

/** Everything one Pebble daemon knows, minus the HTTP plumbing. */
export class Daemon {
  readonly changes: ChangeStore
  readonly services: ServiceManager
  readonly checks: CheckManager
  readonly exec: ExecManager
  private layers: LabelledLayer[] = []
  private plan: Layer = {}
  private readonly bootId = randomUUID()
  private readonly version: string

  constructor(options: DaemonOptions, onShutdown: (exitCode: number, reason: string) => void) {
    const now = options.now ?? (() => new Date())
    const environment = options.environment ?? process.env
    const plan = () => this.plan
    this.version = options.version ?? 'v1.32.1'
    this.changes = new ChangeStore(now)
    this.services = new ServiceManager({
      changes: this.changes,
      plan,
      now,
      okayDelayMs: options.okayDelayMs ?? 1000,
      stopFailDelayMs: options.stopFailDelayMs ?? 5000,
      random: options.random ?? Math.random,
      environment,
      onShutdown,
    })
    this.checks = new CheckManager({
      changes: this.changes,
      plan,
      environment,
      onCheckDown: (check) => this.onCheckDown(check, onShutdown),
    })
    this.exec = new ExecManager({
      changes: this.changes,
      plan,
      environment,
      connectTimeoutMs: options.execConnectTimeoutMs ?? 5000,
    })
  }

  systemInfo(): Reply {
    return syncReply({ 'boot-id': this.bootId, version: this.version })
  }

  health(query: URLSearchParams): Reply {
    const level = query.get('level') ?? ''
    if (level !== '' && level !== 'alive' && level !== 'ready')
      return errorReply(400, 'level must be "alive" or "ready"')
    const healthy = this.checks.healthy(level === '' ? undefined : level, names(query))
    return syncReply({ healthy }, healthy ? 200 : 502)
  }

  getPlan(query: URLSearchParams): Reply {
    const format = query.get('format') ?? ''
    if (format !== 'yaml') return errorReply(400, `invalid format "${format}"`)
    return syncReply(renderPlanYaml(this.plan))
  }

  /** `POST /v1/layers`, validation in Pebble's order (§3). */
  addLayer(body: unknown): Reply {
    const request = decode(LayersRequestSchema, body)
    if (request.action !== 'add') return errorReply(400, `invalid action "${request.action}"`)
    if (request.label === '') return errorReply(400, 'label must be set')
    if (request.format !== 'yaml') return errorReply(400, `invalid format "${request.format}"`)
    // Pebble checks the label while parsing, so its errors share the parse prefix.
    if (request.label.startsWith('pebble-'))
      return errorReply(400, 'cannot parse layer YAML: cannot use reserved label prefix "pebble-"')
    let layer: Layer
    try {
      layer = parseLayerYaml(request.layer)
    } catch (error) {
      if (error instanceof LayerParseError) {
        const detail = `cannot parse layer "${request.label}": ${error.message}`
        return errorReply(400, `cannot parse layer YAML: ${detail}`)
      }
      throw error
    }
    if (request.label.includes('/') && !request.inner) {
      return errorReply(400, "cannot insert sub-directory layer without 'inner' attribute set")
    }
    const index = this.layers.findIndex((existing) => existing.label === request.label)
    if (index !== -1 && !request.combine)
      return errorReply(400, `layer "${request.label}" already exists`)
    try {
      const layers = [...this.layers]
      const existing = layers[index]
      if (existing) {
        // combine: merged into the same-label layer, which keeps its position (§3.1).
        const merged = combineLayers([existing, { label: request.label, layer }])
        layers[index] = { label: request.label, layer: merged }
      } else {
        combineLayers([{ label: request.label, layer }])
        layers.push({ label: request.label, layer })
      }
      const plan = combineLayers(layers)
      validatePlan(plan)
      this.layers = layers
      this.plan = plan
    } catch (error) {
      if (error instanceof PlanFormatError) return errorReply(400, error.message)
      throw error
    }
    this.checks.planChanged()
    return syncReply(true)
  }

  getServices(query: URLSearchParams): Reply {
    return syncReply(this.services.infos(names(query)))
  }

  /** `POST /v1/services` (§5.2): validation, then an async change. */
  serviceAction(body: unknown): Reply {
    const request = decode(ServicesRequestSchema, body, 'data from request body')
    const { action } = request
    const requested = request.services ?? []
    const noNames = action === 'replan' || action === 'autostart'
    if (!noNames && requested.length === 0)
      return errorReply(400, `must specify services for ${action} action`)
    if (noNames && requested.length > 0)
      return errorReply(400, `${action} accepts no service names`)
    const verb = Object.hasOwn(VERBS, action) ? VERBS[action] : undefined
    if (!verb) return errorReply(400, `invalid action "${action}"`)
    const planServices = this.plan.services ?? {}
    const unknown = requested.find((name) => !Object.hasOwn(planServices, name))
    if (unknown !== undefined)
      return errorReply(400, `cannot ${action} services: service "${unknown}" does not exist`)

    if (action === 'autostart' && this.services.enabledServices().length === 0) {
      return errorReply(400, 'no default services', 'no-default-services')
    }
    const { stop, start, summary, serviceNames } = planServiceAction(
      action,
      verb,
      requested,
      planServices,
      this.services,
    )
    if (action === 'replan') this.checks.replan()
    const change = this.changes.create(action, summary)
    if (stop.length === 0 && start.length === 0) {
      this.changes.finishEmpty(change)
      return asyncReply(change.id)
    }
    change.serviceNames = serviceNames
    this.services.run(change, stop, start)
    return asyncReply(change.id)
  }

  getChanges(query: URLSearchParams): Reply {
    const select = query.get('select') || 'in-progress'
    if (!['all', 'in-progress', 'ready'].includes(select)) {
      return errorReply(400, 'select should be one of: all,in-progress,ready')
    }
    const service = query.get('for')
    const list = this.changes.all().filter((change) => {
      const ready = this.changes.isReady(change)
      if ((select === 'ready' && !ready) || (select === 'in-progress' && ready)) return false
      return !service || (change.serviceNames ?? []).includes(service)
    })
    return syncReply(list.map((change) => this.changes.toJSON(change)))
  }

  getChange(id: string): Reply {
    const change = this.changes.get(id)
    if (!change) return errorReply(404, `cannot find change with id "${id}"`)
    return syncReply(this.changes.toJSON(change))
  }

  /** `GET /v1/changes/{id}/wait` (§6.1): 504 on timeout, 200 even for a failed change. */
  async waitChange(id: string, query: URLSearchParams): Promise<Reply> {
    const change = this.changes.get(id)
    if (!change) return errorReply(404, `cannot find change with id "${id}"`)
    const timeoutText = query.get('timeout') ?? ''
    const timeoutMs = timeoutText === '' ? undefined : parseGoDuration(timeoutText)
    if (timeoutMs === undefined && timeoutText !== '') {
      return errorReply(400, `invalid timeout: time: invalid duration "${timeoutText}"`)
    }
    const ready = await this.changes.wait(change, timeoutMs)
    if (!ready)
      return errorReply(
        504,
        `timed out waiting for change after ${formatGoDuration(timeoutMs ?? 0)}`,
      )
    return syncReply(this.changes.toJSON(change))
  }

  /** `POST /v1/changes/{id}` abort (§6.1): pending tasks are put on hold. */
  abortChange(id: string, body: unknown): Reply {
    const { action } = decode(v.looseObject({ action: v.optional(v.string(), '') }), body)
    const change = this.changes.get(id)
    if (!change) return errorReply(404, `cannot find change with id "${id}"`)
    if (action !== 'abort') return errorReply(400, `invalid action "${action}"`)
    if (!this.changes.abort(change))
      return errorReply(400, `cannot abort change ${id} with nothing pending`)
    return syncReply(this.changes.toJSON(change))
  }

  getChecks(query: URLSearchParams): Reply {
    const level = query.get('level') ?? ''
    if (level !== '' && level !== 'alive' && level !== 'ready')
      return errorReply(400, 'level must be "alive" or "ready"')
    return syncReply(this.checks.infos(level || undefined, names(query)))
  }

  checkAction(body: unknown): Reply {
    const request = decode(ChecksRequestSchema, body, 'data from request body')
    const requested = request.checks ?? []
    if (request.action !== 'start' && request.action !== 'stop')
      return errorReply(400, `invalid action "${request.action}"`)
    if (requested.length === 0)
      return errorReply(400, `must specify checks for ${request.action} action`)
    try {
      return syncReply({ changed: this.checks.setActive(requested, request.action === 'start') })
    } catch (error) {
      return errorReply(400, (error as Error).message)
    }
  }

  async refreshCheck(body: unknown): Promise<Reply> {
    const NameSchema = v.looseObject({ name: v.optional(v.string(), '') })
    const { name } = decode(NameSchema, body, 'data from request body')
    if (name === '') return errorReply(400, 'must specify check name')
    return syncReply(await this.checks.refresh(name))
  }

  /** `POST /v1/signals`: every per-service failure, joined, is one 500 (§11). */
  signal(body: unknown): Reply {
    const request = decode(SignalsRequestSchema, body)
    if (request.services.length === 0) return errorReply(400, 'must specify one or more services')
    const errors = this.services.signal(request.signal, request.services)
    return errors.length === 0 ? syncReply(true) : errorReply(500, errors.join('; '))
  }

  private onCheckDown(check: string, onShutdown: (exitCode: number, reason: string) => void): void {
    for (const [name, service] of Object.entries(this.plan.services ?? {})) {
      const action = service['on-check-failure']?.[check]
      if (action === 'restart') this.services.restartForCheck(name)
      if (action === 'shutdown' || action === 'success-shutdown') {
        onShutdown(action === 'shutdown' ? 11 : 0, `check "${check}" failed: ${action}`)
      }
    }
  }
}

function names(query: URLSearchParams): string[] | undefined {
  const list = query
    .getAll('names')
    .flatMap((value) => value.split(','))
    .filter((name) => name !== '')
  return list.length === 0 ? undefined : list
}

function decode<TSchema extends v.GenericSchema>(
  schema: TSchema,
  body: unknown,
  what = 'request body',
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, body)
  if (!result.success)
    throw new HttpError(400, `cannot decode ${what}: ${firstIssue(result.issues)}`)
  return result.output
}

/**
 * Service ordering (contract §5.2): `after`/`before` ordering, loops rejected (§3.3), start order
 * with `requires` pulled in, stop order with dependants pulled in.
 */
import type { ServiceConfig } from '../layer.js'
import { PlanFormatError } from './plan.js'
import type { ServiceManager } from './services.js'

type Services = Readonly<Record<string, ServiceConfig>>

/**
 * Orders services so that `after`/`before` hold (stable by name otherwise).
 * Throws on a loop: `services in before/after loop: a, b` (§3.3).
 */
export function orderServices(services: Services, names: readonly string[]): string[] {
  const wanted = new Set(names)
  const successors = new Map<string, Set<string>>()
  for (const name of Object.keys(services)) successors.set(name, new Set())
  for (const [name, service] of Object.entries(services)) {
    for (const before of service.before ?? []) successors.get(name)?.add(before)
    for (const after of service.after ?? []) successors.get(after)?.add(name)
  }
  const indegree = new Map<string, number>([...successors.keys()].map((name) => [name, 0]))
  for (const targets of successors.values()) {
    for (const target of targets) indegree.set(target, (indegree.get(target) ?? 0) + 1)
  }
  const ready = [...indegree]
    .filter(([, degree]) => degree === 0)
    .map(([name]) => name)
    .sort()
  const order: string[] = []
  while (ready.length > 0) {
    const name = ready.shift() as string
    order.push(name)
    for (const target of [...(successors.get(name) ?? [])].sort()) {
      const degree = (indegree.get(target) ?? 0) - 1
      indegree.set(target, degree)
      if (degree === 0) {
        ready.push(target)
        ready.sort()
      }
    }
  }
  if (order.length < successors.size) {
    const loop = [...indegree]
      .filter(([, degree]) => degree > 0)
      .map(([name]) => name)
      .sort()
    throw new PlanFormatError(`services in before/after loop: ${loop.join(', ')}`)
  }
  return order.filter((name) => wanted.has(name))
}

/** Start order: the names plus what they require, ordered by after/before (§5.2). */
export function startOrder(services: Services, names: readonly string[]): string[] {
  const all = new Set<string>()
  const visit = (name: string) => {
    if (all.has(name)) return
    all.add(name)
    for (const required of services[name]?.requires ?? []) visit(required)
  }
  names.forEach(visit)
  return orderServices(services, [...all])
}

/** Stop order: the names plus what requires them, in reverse start order (§5.2). */
export function stopOrder(services: Services, names: readonly string[]): string[] {
  const all = new Set(names)
  for (let grew = true; grew;) {
    grew = false
    for (const [name, service] of Object.entries(services)) {
      if (!all.has(name) && (service.requires ?? []).some((required) => all.has(required))) {
        all.add(name)
        grew = true
      }
    }
  }
  const known = [...all].filter((name) => Object.hasOwn(services, name))
  const gone = [...all].filter((name) => !Object.hasOwn(services, name))
  return [...orderServices(services, known).reverse(), ...gone]
}

/**
 * Splits ordered names into lanes as Pebble does (§5.2): a service joins the lane of what it
 * `requires` (after/before alone do not tie services together). Lanes run in parallel; the
 * tasks of one lane run in order and a failure holds the rest of its lane only.
 */
export function toLanes(ordered: readonly string[], services: Services): string[][] {
  const laneOf = new Map<string, number>()
  let lane = -1
  const assign = (name: string, target: number) => {
    laneOf.set(name, target)
    for (const required of services[name]?.requires ?? []) laneOf.set(required, target)
  }
  for (const name of ordered) {
    const own = laneOf.get(name)
    const viaRequired = (services[name]?.requires ?? [])
      .map((required) => laneOf.get(required))
      .find((found) => found !== undefined)
    const target = own ?? viaRequired ?? ++lane
    assign(name, target)
    lane = Math.max(lane, target)
  }
  const lanes: string[][] = []
  for (const name of ordered) (lanes[laneOf.get(name) ?? 0] ??= []).push(name)
  return lanes.filter((names) => names.length > 0)
}

/**
 * Which services an action stops and starts, the change summary and the `service-names` the
 * change records for `GET /v1/changes?for=` (§5.2). As in Pebble, the summary names the first
 * requested service and counts the resolved set (dependencies and dependants included).
 */
export function planServiceAction(
  action: string,
  verb: string,
  requested: readonly string[],
  services: Services,
  manager: Pick<ServiceManager, 'enabledServices' | 'changedServices'>,
): { stop: string[]; start: string[]; summary: string; serviceNames: string[] } {
  switch (action) {
    case 'start': {
      const start = startOrder(services, requested)
      return {
        stop: [],
        start,
        summary: summarise(verb, requested, start),
        serviceNames: [...requested],
      }
    }
    case 'stop': {
      const stop = stopOrder(services, requested)
      return {
        stop,
        start: [],
        summary: summarise(verb, requested, stop),
        serviceNames: [...requested],
      }
    }
    case 'restart': {
      // Only the named services are stopped; what they require is started if needed.
      const start = startOrder(services, requested)
      return {
        stop: stopOrder(services, requested).filter((name) => requested.includes(name)),
        start,
        summary: summarise(verb, requested, start),
        serviceNames: [...requested],
      }
    }
    case 'autostart': {
      const start = startOrder(services, manager.enabledServices())
      return { stop: [], start, summary: summarise(verb, start, start), serviceNames: start }
    }
    default: {
      // replan: services run before whose config changed restart; enabled ones start (§5.2).
      const changed = manager.changedServices()
      const wanted = [
        ...new Set([
          ...manager.enabledServices(),
          ...changed.filter((name) => Object.hasOwn(services, name)),
        ]),
      ]
      const stop = stopOrder(services, changed)
      const start = startOrder(services, wanted)
      const replanned = [...new Set([...stop, ...start])].sort()
      return {
        stop,
        start,
        summary: summarise(verb, replanned, replanned),
        serviceNames: replanned,
      }
    }
  }
}

function summarise(verb: string, named: readonly string[], resolved: readonly string[]): string {
  if (resolved.length === 0) return `${verb} - no services`
  if (resolved.length === 1) return `${verb} service "${named[0]}"`
  return `${verb} service "${named[0]}" and ${resolved.length - 1} more`
}

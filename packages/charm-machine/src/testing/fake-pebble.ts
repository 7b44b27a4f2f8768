import type {
  CheckInfo,
  ExecOptions,
  ExecResult,
  PebbleLayer,
  ServiceInfo,
  WorkloadClient,
} from '../juju/index.js'
import type { Container } from './state.js'

/** One Pebble call the charm made. */
export interface PebbleCall {
  container: string
  method: keyof WorkloadClient
  args: unknown[]
}

/** One exec the charm ran, as Scenario's `ExecArgs`. */
export interface ExecRecord extends ExecOptions {
  command: string[]
}

/** Merges layers in order with Pebble's `override: merge|replace` rules, services and checks. */
export function mergePlan(layers: Iterable<PebbleLayer>): PebbleLayer {
  const services: NonNullable<PebbleLayer['services']> = {}
  const checks: NonNullable<PebbleLayer['checks']> = {}
  for (const layer of layers) {
    for (const [name, service] of Object.entries(layer.services ?? {})) {
      const existing = services[name]
      services[name] =
        service.override === 'merge' && existing !== undefined
          ? { ...existing, ...service }
          : { ...service }
    }
    for (const [name, check] of Object.entries(layer.checks ?? {})) {
      const existing = checks[name]
      checks[name] =
        check['override'] === 'merge' && existing !== undefined
          ? { ...existing, ...check }
          : { ...check }
    }
  }
  return Object.keys(checks).length > 0 ? { services, checks } : { services }
}

/**
 * A Pebble stand-in over a harness {@link Container}: a plan from layers, service states, a
 * filesystem and exec mocks matched by longest prefix. Every call is recorded; every call fails
 * with a connection error while `canConnect` is false.
 */
export class FakePebble implements WorkloadClient {
  constructor(
    readonly container: Container,
    readonly calls: PebbleCall[],
    readonly execHistory: ExecRecord[],
  ) {}

  #record(method: keyof WorkloadClient, args: unknown[]): void {
    this.calls.push({ container: this.container.name, method, args: structuredClone(args) })
    if (method !== 'canConnect' && !this.container.canConnect) {
      throw new Error(`pebble: cannot connect to container ${JSON.stringify(this.container.name)}`)
    }
  }

  #startAll(names: string[]): void {
    for (const name of names) {
      const failure = this.container.failingServices?.[name]
      if (failure !== undefined) {
        this.container.services[name] = 'error'
        throw new Error(`cannot start service ${JSON.stringify(name)}: ${failure}`)
      }
      this.container.services[name] = 'active'
    }
  }

  async canConnect(): Promise<boolean> {
    this.#record('canConnect', [])
    return this.container.canConnect
  }

  async getPlan(): Promise<PebbleLayer> {
    this.#record('getPlan', [])
    return mergePlan(Object.values(this.container.layers))
  }

  async addLayer(
    label: string,
    layer: PebbleLayer,
    options: { combine?: boolean } = {},
  ): Promise<void> {
    this.#record('addLayer', [label, layer, options])
    const existing = this.container.layers[label]
    if (existing !== undefined && options.combine !== true)
      throw new Error(`layer ${JSON.stringify(label)} already exists`)
    this.container.layers[label] =
      existing === undefined ? structuredClone(layer) : mergePlan([existing, layer])
  }

  async replan(): Promise<void> {
    this.#record('replan', [])
    const plan = mergePlan(Object.values(this.container.layers))
    const enabled = Object.entries(plan.services ?? {}).filter(
      ([, service]) => service.startup === 'enabled',
    )
    this.#startAll(enabled.map(([name]) => name))
  }

  async getServices(names?: string[]): Promise<ServiceInfo[]> {
    this.#record('getServices', [names])
    const plan = mergePlan(Object.values(this.container.layers))
    return Object.entries(plan.services ?? {})
      .filter(([name]) => names === undefined || names.includes(name))
      .map(([name, service]) => ({
        name,
        startup: service.startup === 'enabled' ? 'enabled' : 'disabled',
        current: this.container.services[name] ?? 'inactive',
      }))
  }

  async getChecks(): Promise<CheckInfo[]> {
    this.#record('getChecks', [])
    return Object.entries(this.container.checks ?? {}).map(([name, check]) => ({
      name,
      status: check.status,
      failures: check.failures ?? (check.status === 'down' ? 3 : 0),
      threshold: 3,
    }))
  }

  async start(names: string[]): Promise<void> {
    this.#record('start', [names])
    this.#startAll(names)
  }

  async stop(names: string[]): Promise<void> {
    this.#record('stop', [names])
    for (const name of names) this.container.services[name] = 'inactive'
  }

  async restart(names: string[]): Promise<void> {
    this.#record('restart', [names])
    this.#startAll(names)
  }

  async sendSignal(signal: string, services: string[]): Promise<void> {
    this.#record('sendSignal', [signal, services])
  }

  async exec(command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.#record('exec', [command, options])
    this.execHistory.push({ command: [...command], ...structuredClone(options) })
    const matches = this.container.execs
      .filter((mock) => mock.commandPrefix.every((part, index) => command[index] === part))
      .sort((a, b) => b.commandPrefix.length - a.commandPrefix.length)
    const mock = matches[0]
    if (mock === undefined) {
      return {
        exitCode: 127,
        stdout: '',
        stderr: `harness: no exec mock matches ${JSON.stringify(command)}`,
      }
    }
    return { exitCode: mock.exitCode ?? 0, stdout: mock.stdout ?? '', stderr: mock.stderr ?? '' }
  }

  async push(path: string, data: string, options: { makeDirs?: boolean } = {}): Promise<void> {
    this.#record('push', [path, data, options])
    this.container.files[path] = data
  }

  async pull(path: string): Promise<string> {
    this.#record('pull', [path])
    const content = this.container.files[path]
    if (content === undefined) throw new Error(`pebble: ${path}: no such file or directory`)
    return content
  }

  async exists(path: string): Promise<boolean> {
    this.#record('exists', [path])
    return (
      path in this.container.files ||
      Object.keys(this.container.files).some((file) => file.startsWith(`${path}/`))
    )
  }

  async makeDir(path: string, options: { makeParents?: boolean } = {}): Promise<void> {
    this.#record('makeDir', [path, options])
  }
}

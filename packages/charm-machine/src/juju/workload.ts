/** A Pebble layer: services (and optionally checks) as Pebble's layer YAML describes them. */
export interface PebbleLayer {
  summary?: string
  description?: string
  services?: Record<string, PebbleService>
  checks?: Record<string, Record<string, unknown>>
}

/** One service of a Pebble layer. */
export interface PebbleService {
  override?: 'merge' | 'replace'
  command?: string
  summary?: string
  startup?: 'enabled' | 'disabled'
  environment?: Record<string, string>
  user?: string
  group?: string
  'working-dir'?: string
  after?: string[]
  before?: string[]
  requires?: string[]
  [key: string]: unknown
}

/** A service's state as `GET /v1/services` reports it. */
export interface ServiceInfo {
  name: string
  startup: 'enabled' | 'disabled'
  current: 'active' | 'inactive' | 'backoff' | 'error'
}

/** A check's state as `GET /v1/checks` reports it. */
export interface CheckInfo {
  name: string
  status: 'up' | 'down' | 'inactive'
  failures: number
  threshold: number
}

/** Options of {@link WorkloadClient.exec}. */
export interface ExecOptions {
  environment?: Record<string, string>
  workingDir?: string
  user?: string
  group?: string
  stdin?: string
}

/** The outcome of an exec; a non-zero `exitCode` is returned, not thrown. */
export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * The Pebble operations a charm's effects use, per container. The charm adapts its Pebble client
 * to this shape; the test harness supplies a fake with the same shape, so effects written against
 * it run unchanged in tests.
 */
export interface WorkloadClient {
  canConnect(): Promise<boolean>
  getPlan(): Promise<PebbleLayer>
  addLayer(label: string, layer: PebbleLayer, options?: { combine?: boolean }): Promise<void>
  replan(): Promise<void>
  getServices(names?: string[]): Promise<ServiceInfo[]>
  /** `GET /v1/checks`; a client without it reports no check health. */
  getChecks?(): Promise<CheckInfo[]>
  start(names: string[]): Promise<void>
  stop(names: string[]): Promise<void>
  restart(names: string[]): Promise<void>
  sendSignal(signal: string, services: string[]): Promise<void>
  exec(command: string[], options?: ExecOptions): Promise<ExecResult>
  push(
    path: string,
    data: string,
    options?: { makeDirs?: boolean; user?: string; group?: string; permissions?: number },
  ): Promise<void>
  pull(path: string): Promise<string>
  exists(path: string): Promise<boolean>
  makeDir(
    path: string,
    options?: { makeParents?: boolean; user?: string; group?: string },
  ): Promise<void>
}

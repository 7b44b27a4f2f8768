/**
 * `PebbleClient`: a typed client for the Pebble API over its unix socket (contract §11, §13).
 */
import * as v from 'valibot'
import { APIError, ChangeError, ConnectionError, ProtocolError, TimeoutError } from './errors.js'
import { decodeEnvelope, parse, withQuery, type PebbleResponse, type Query } from './response.js'
import { formatRequestTimeout } from './duration.js'
import { execCommand, type ExecOptions, type ExecResult } from './exec.js'
import * as files from './files.js'
import { parseLayerYaml, layerToYaml, type Layer } from './layer.js'
import {
  unixSocketTransport,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js'
import {
  ChangeSchema,
  CheckChangedSchema,
  CheckRefreshSchema,
  CheckInfoSchema,
  HealthSchema,
  ServiceInfoSchema,
  SystemInfoSchema,
  type Change,
  type CheckInfo,
  type FileInfo,
  type ServiceInfo,
  type SystemInfo,
} from './wire.js'

/** Options of {@link PebbleClient}. Give `socketPath` or a `transport`. */
export interface PebbleClientOptions {
  /** Pebble's socket, e.g. `/charm/containers/<container>/pebble.socket`. */
  socketPath?: string
  /** Replaces the unix-socket transport (proxies, recorders, in-memory fakes). */
  transport?: Transport
  /** Per-request timeout in seconds (default 5, as `ops`). */
  timeout?: number
  /** Clock for wait deadlines; defaults to `Date.now`. */
  now?: () => number
  /** Sleep used when polling; defaults to `setTimeout`. */
  sleep?: (ms: number) => Promise<void>
}

/** The function a request hook wraps. */
export type RequestFunction = (request: TransportRequest) => Promise<TransportResponse>
/** A request hook: call `next` to continue, or answer yourself. */
export type RequestWrapper = (
  next: RequestFunction,
  request: TransportRequest,
) => Promise<TransportResponse>

/** Options of the waiting helpers. `timeout` is in seconds, as in `ops` (default 30). */
export interface WaitOptions {
  timeout?: number
  /** Poll interval in seconds when the server has no `/wait` (default 0.1). */
  delay?: number
}

/**
 * A client for one Pebble daemon.
 *
 * @example
 * const pebble = new PebbleClient({ socketPath: '/charm/containers/router/pebble.socket' })
 * await pebble.addLayer('router', layer, { combine: true })
 * await pebble.replanAndWait()
 */
export class PebbleClient {
  /** Seam for logging, metrics or retries around every request (octokit's `hook.wrap`). */
  readonly hook: { wrap(name: 'request', wrapper: RequestWrapper): void }
  readonly transport: Transport
  private send: RequestFunction
  private readonly timeoutMs: number
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(options: PebbleClientOptions) {
    if (!options.transport && !options.socketPath) {
      throw new TypeError('PebbleClient needs a socketPath or a transport')
    }
    this.transport = options.transport ?? unixSocketTransport(options.socketPath ?? '')
    this.timeoutMs = (options.timeout ?? 5) * 1000
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.send = (request) => this.transport.request(request)
    this.hook = {
      wrap: (_name, wrapper) => {
        const next = this.send
        this.send = (request) => wrapper(next, request)
      },
    }
  }

  /**
   * Sends one request and decodes the envelope; non-2xx answers throw {@link APIError}.
   * `allowStatus` lists non-2xx codes that carry a normal envelope (health's 502).
   */
  async request(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Query; body?: unknown; timeoutMs?: number; allowStatus?: number[] } = {},
  ): Promise<PebbleResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    let body: string | undefined
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const response = await this.send({
      method,
      path: withQuery(path, options.query),
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    })
    return decodeEnvelope(response, options.allowStatus ?? [])
  }

  /**
   * Whether Pebble answers at all, as `ops.Container.can_connect()` (§2): `false` on a
   * connection or API error, other errors are thrown.
   */
  async canConnect(): Promise<boolean> {
    try {
      await this.systemInfo()
      return true
    } catch (error) {
      if (error instanceof ConnectionError || error instanceof APIError) return false
      throw error
    }
  }

  /** `GET /v1/system-info` (§2); a cheap connectivity probe. */
  async systemInfo(): Promise<SystemInfo> {
    return parse(SystemInfoSchema, (await this.request('GET', '/v1/system-info')).result)
  }

  /**
   * `GET /v1/health` (§2): `false` when a selected check is down. `level: 'ready'` also counts
   * `alive` checks.
   */
  async health(options: { level?: 'alive' | 'ready'; names?: string[] } = {}): Promise<boolean> {
    const query = { level: options.level, names: options.names?.join(',') }
    const response = await this.request('GET', '/v1/health', { query, allowStatus: [502] })
    return parse(HealthSchema, response.result).healthy
  }

  /**
   * `POST /v1/layers` (§3): adds a layer, or merges it into the same-label layer with `combine`.
   * Services are not restarted: call {@link PebbleClient.replan} for that.
   */
  async addLayer(
    label: string,
    layer: Layer | string,
    options: { combine?: boolean } = {},
  ): Promise<void> {
    const yaml = typeof layer === 'string' ? layer : layerToYaml(layer)
    const body = {
      action: 'add',
      combine: options.combine ?? false,
      label,
      format: 'yaml',
      layer: yaml,
    }
    await this.request('POST', '/v1/layers', { body })
  }

  /** `GET /v1/plan?format=yaml` (§4), parsed. */
  async getPlan(): Promise<Layer> {
    const yaml = await this.getPlanYaml()
    try {
      return parseLayerYaml(yaml)
    } catch (error) {
      throw new ProtocolError(`cannot parse plan: ${(error as Error).message}`)
    }
  }

  /** `GET /v1/plan?format=yaml` (§4) as Pebble renders it; handy for idempotence checks. */
  async getPlanYaml(): Promise<string> {
    const response = await this.request('GET', '/v1/plan', { query: { format: 'yaml' } })
    return parse(v.string(), response.result)
  }

  /** `GET /v1/services` (§5.1), sorted by name; unknown names are ignored. */
  async getServices(names?: readonly string[]): Promise<ServiceInfo[]> {
    const response = await this.request('GET', '/v1/services', {
      query: { names: names?.join(',') },
    })
    return parse(v.array(ServiceInfoSchema), response.result)
  }

  /** Starts services (and what they require); returns the change id without waiting (§5.2). */
  start(names: readonly string[]): Promise<string> {
    return this.serviceAction('start', names)
  }
  /** Stops services (and what requires them); returns the change id (§5.2). */
  stop(names: readonly string[]): Promise<string> {
    return this.serviceAction('stop', names)
  }
  /** Restarts services; returns the change id (§5.2). */
  restart(names: readonly string[]): Promise<string> {
    return this.serviceAction('restart', names)
  }
  /** Restarts services whose config changed and starts enabled ones; returns the change id (§5.2). */
  replan(): Promise<string> {
    return this.serviceAction('replan', [])
  }
  /** Starts the `startup: enabled` services; returns the change id (§5.2). */
  autostart(): Promise<string> {
    return this.serviceAction('autostart', [])
  }

  /** {@link PebbleClient.start}, then wait; throws {@link ChangeError} if the change failed. */
  startAndWait(names: readonly string[], options?: WaitOptions): Promise<Change> {
    return this.waitForSuccess(this.start(names), options)
  }
  /** {@link PebbleClient.stop}, then wait; throws {@link ChangeError} if the change failed. */
  stopAndWait(names: readonly string[], options?: WaitOptions): Promise<Change> {
    return this.waitForSuccess(this.stop(names), options)
  }
  /** {@link PebbleClient.restart}, then wait; throws {@link ChangeError} if the change failed. */
  restartAndWait(names: readonly string[], options?: WaitOptions): Promise<Change> {
    return this.waitForSuccess(this.restart(names), options)
  }
  /** {@link PebbleClient.replan}, then wait; throws {@link ChangeError} if the change failed. */
  replanAndWait(options?: WaitOptions): Promise<Change> {
    return this.waitForSuccess(this.replan(), options)
  }
  /** {@link PebbleClient.autostart}, then wait; throws {@link ChangeError} if the change failed. */
  autostartAndWait(options?: WaitOptions): Promise<Change> {
    return this.waitForSuccess(this.autostart(), options)
  }

  /** `GET /v1/changes/{id}` (§6.1). */
  async getChange(id: string): Promise<Change> {
    return parse(
      ChangeSchema,
      (await this.request('GET', `/v1/changes/${encodeURIComponent(id)}`)).result,
    )
  }

  /** `GET /v1/changes` (§6.1); `select` defaults to `in-progress` on the server. */
  async getChanges(
    options: { select?: 'all' | 'in-progress' | 'ready'; service?: string } = {},
  ): Promise<Change[]> {
    const query = { select: options.select, for: options.service }
    return parse(
      v.array(ChangeSchema),
      (await this.request('GET', '/v1/changes', { query })).result,
    )
  }

  /** `POST /v1/changes/{id}` `abort` (§6.1). */
  async abortChange(id: string): Promise<Change> {
    const response = await this.request('POST', `/v1/changes/${encodeURIComponent(id)}`, {
      body: { action: 'abort' },
    })
    return parse(ChangeSchema, response.result)
  }

  /**
   * Waits until a change is ready and returns it, failed or not (§6.1). Pebble's 504 is retried
   * until the deadline; then {@link TimeoutError}. A server without `/wait` is polled.
   */
  async waitChange(id: string, options: WaitOptions = {}): Promise<Change> {
    const deadline = this.now() + (options.timeout ?? 30) * 1000
    const path = `/v1/changes/${encodeURIComponent(id)}`
    for (;;) {
      const remainingMs = deadline - this.now()
      if (remainingMs <= 0) throw new TimeoutError(`timed out waiting for change ${id}`, id)
      // Long waits go in slices, as ops does, so no single request outlives the socket timeout.
      const sliceMs = Math.min(remainingMs, Math.max(1000, this.timeoutMs - 1000))
      try {
        const response = await this.request('GET', `${path}/wait`, {
          query: { timeout: formatRequestTimeout(sliceMs / 1000) },
          timeoutMs: sliceMs + this.timeoutMs,
        })
        return parse(ChangeSchema, response.result)
      } catch (error) {
        if (!(error instanceof APIError)) throw error
        if (error.statusCode === 504) continue
        if (error.statusCode !== 404 || error.message.startsWith('cannot find change')) throw error
        return this.pollChange(id, deadline, (options.delay ?? 0.1) * 1000)
      }
    }
  }

  /** `GET /v1/checks` (§7); `level` here is an exact match. */
  async getChecks(
    options: { level?: 'alive' | 'ready'; names?: readonly string[] } = {},
  ): Promise<CheckInfo[]> {
    const query = { level: options.level, names: options.names?.join(',') }
    return parse(
      v.array(CheckInfoSchema),
      (await this.request('GET', '/v1/checks', { query })).result,
    )
  }

  /** `POST /v1/checks` `start` (§7); returns the checks that changed. */
  async startChecks(names: readonly string[]): Promise<string[]> {
    return this.checkAction('start', names)
  }
  /** `POST /v1/checks` `stop` (§7); returns the checks that changed. */
  async stopChecks(names: readonly string[]): Promise<string[]> {
    return this.checkAction('stop', names)
  }

  /**
   * `POST /v1/checks/refresh` (§7): runs a check now instead of waiting for its period; `error`
   * is the failure of this run, if it failed.
   */
  async refreshCheck(name: string): Promise<{ info: CheckInfo; error?: string }> {
    const response = await this.request('POST', '/v1/checks/refresh', { body: { name } })
    const { info, error } = parse(CheckRefreshSchema, response.result)
    return error === undefined ? { info } : { info, error }
  }

  /** `POST /v1/signals` (§11): e.g. `sendSignal('SIGHUP', ['router'])`. */
  async sendSignal(signal: string, services: readonly string[]): Promise<void> {
    await this.request('POST', '/v1/signals', { body: { signal, services } })
  }

  /**
   * Runs a command in the container and collects its output (§9). A non-zero exit throws
   * {@link ExecError} carrying stdout and stderr.
   *
   * @example
   * const { stdout } = await pebble.exec(['webhook-router', 'migrate'], { timeout: 60 })
   */
  exec(command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execCommand(this, command, options)
  }

  /** Writes a file (§8). */
  push(path: string, content: string | Uint8Array, options?: files.PushOptions): Promise<void> {
    return files.push(this, path, content, options)
  }
  /** Reads a file as UTF-8 text (§8). */
  async pull(path: string): Promise<string> {
    return (await files.pull(this, path)).toString('utf8')
  }
  /** Reads a file as bytes (§8). */
  pullBytes(path: string): Promise<Buffer> {
    return files.pull(this, path)
  }
  /** Lists a directory, or the path itself with `itself` (§8). */
  list(path: string, options?: files.ListOptions): Promise<FileInfo[]> {
    return files.list(this, path, options)
  }
  /** Creates a directory (§8). */
  makeDir(path: string, options?: files.MakeDirOptions): Promise<void> {
    return files.makeDir(this, path, options)
  }
  /** Removes a file or directory (§8). */
  remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    return files.remove(this, path, options)
  }

  /** @internal Raw exchange for the files API, which is not JSON-only. */
  rawRequest(
    request: Omit<TransportRequest, 'timeoutMs'> & { timeoutMs?: number },
  ): Promise<TransportResponse> {
    return this.send({ ...request, timeoutMs: request.timeoutMs ?? this.timeoutMs })
  }

  private async serviceAction(action: string, names: readonly string[]): Promise<string> {
    const response = await this.request('POST', '/v1/services', {
      body: { action, services: names },
    })
    if (response.change === undefined)
      throw new ProtocolError(`${action} answered without a change id`)
    return response.change
  }

  private async checkAction(action: string, names: readonly string[]): Promise<string[]> {
    const response = await this.request('POST', '/v1/checks', { body: { action, checks: names } })
    return parse(CheckChangedSchema, response.result).changed
  }

  private async waitForSuccess(changeId: Promise<string>, options?: WaitOptions): Promise<Change> {
    const change = await this.waitChange(await changeId, options)
    if (change.err !== undefined) throw new ChangeError(change.err, change)
    return change
  }

  private async pollChange(id: string, deadline: number, delayMs: number): Promise<Change> {
    for (;;) {
      const change = await this.getChange(id)
      if (change.ready) return change
      if (this.now() >= deadline) throw new TimeoutError(`timed out waiting for change ${id}`, id)
      await this.sleep(delayMs)
    }
  }
}

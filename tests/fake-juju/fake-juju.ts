/**
 * A fake Juju unit agent for process-level charm tests: hook-tool executables on a private
 * PATH, backed by one JSON state file, and a `dispatch` runner that sets the hook environment
 * Juju sets (juju-contract §1.2). Like Juju, it discards relation, secret and charm-state writes
 * of a hook that exits non-zero, but keeps statuses and logs.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildHookToolClient, installHookTools, startFakeAgent } from './agent.mjs'

export interface FakeRelation {
  id: number
  endpoint: string
  peer?: boolean
  remoteApp: string
  remoteUnits: Record<string, Record<string, string>>
  remoteAppData: Record<string, string>
  localApp: Record<string, string>
  localUnit: Record<string, string>
}

export interface FakeSecret {
  /** `app`/`unit` = owned by this charm; `null` = someone else's, readable when `granted`. */
  owner: 'app' | 'unit' | null
  granted?: boolean
  label?: string
  consumerLabel?: string
  revisions: Record<string, string>[]
  tracked?: number
}

export interface FakeStatus {
  status: string
  message: string
}

export interface FakeState {
  model: { name: string; uuid: string }
  app: string
  unit: string
  leader: boolean
  config: Record<string, unknown>
  relations: FakeRelation[]
  secrets: Record<string, FakeSecret>
  unitStatus: FakeStatus
  appStatus: FakeStatus
  statusHistory: { target: 'unit' | 'app'; status: string; message: string }[]
  logs: { level: string; message: string }[]
  openedPorts: string[]
  charmState: Record<string, unknown>
  action?: {
    params: Record<string, unknown>
    results: Record<string, string>
    failed?: string
    logs: string[]
  }
  calls: string[][]
  address?: string
  workloadVersion?: string
}

/** What one `dispatch` run did. */
export interface DispatchRun {
  code: number
  stdout: string
  stderr: string
  wallMs: number
  state: FakeState
}

/** What the next dispatch is about, beyond its hook or action name. */
export interface DispatchOptions {
  relationId?: number
  remoteUnit?: string
  departingUnit?: string
  workload?: string
  secret?: { id: string; label?: string }
  action?: { params: Record<string, unknown> }
  env?: Record<string, string>
}

/** The unit's defaults: a leader with nothing related. */
export function initialState(overrides: Partial<FakeState> = {}): FakeState {
  return {
    model: { name: 'test-model', uuid: '6e1b0f3c-0000-4000-8000-000000000001' },
    app: 'github-runner-webhook-router',
    unit: 'github-runner-webhook-router/0',
    leader: true,
    config: {},
    relations: [],
    secrets: {},
    unitStatus: { status: 'unknown', message: '' },
    appStatus: { status: 'unknown', message: '' },
    statusHistory: [],
    logs: [],
    openedPorts: [],
    charmState: {},
    calls: [],
    ...overrides,
  }
}

const BUFFERED: (keyof FakeState)[] = ['relations', 'secrets', 'charmState', 'openedPorts']

export class FakeJuju {
  readonly stateFile: string
  readonly binDir: string
  readonly agentSocket: string
  /** `native`: tools are a compiled client of an in-process agent (fast); `node`: one process each. */
  readonly tools: 'native' | 'node'
  private agent: { close(): Promise<void> } | undefined
  private contextSeq = 0

  private constructor(
    readonly dir: string,
    readonly charmDir: string,
    state: FakeState,
    readonly baseEnv: Record<string, string>,
  ) {
    mkdirSync(dir, { recursive: true })
    this.stateFile = join(dir, 'state.json')
    this.binDir = join(dir, 'bin')
    this.agentSocket = join(dir, 'agent.socket')
    mkdirSync(this.binDir, { recursive: true })
    this.tools = installHookTools(this.binDir, buildHookToolClient(dir))
    this.write(state)
  }

  /** Creates the fake unit in `dir` and starts its agent. `close()` it when done. */
  static async start(
    dir: string,
    charmDir: string,
    state: FakeState,
    baseEnv: Record<string, string> = {},
  ): Promise<FakeJuju> {
    const juju = new FakeJuju(dir, charmDir, state, baseEnv)
    if (juju.tools === 'native') {
      juju.agent = await startFakeAgent({ stateFile: juju.stateFile, socketPath: juju.agentSocket })
    }
    return juju
  }

  async close(): Promise<void> {
    await this.agent?.close()
  }

  read(): FakeState {
    return JSON.parse(readFileSync(this.stateFile, 'utf8')) as FakeState
  }

  write(state: FakeState): void {
    writeFileSync(this.stateFile, JSON.stringify(state, null, 1))
  }

  update(change: (state: FakeState) => void): FakeState {
    const state = this.read()
    change(state)
    this.write(state)
    return state
  }

  relation(endpoint: string): FakeRelation | undefined {
    return this.read().relations.find((relation) => relation.endpoint === endpoint)
  }

  /** The environment Juju gives `dispatch` for this hook or action (§1.2). PATH has no node. */
  env(name: string, options: DispatchOptions = {}): Record<string, string> {
    const state = this.read()
    const isAction = options.action !== undefined
    const env: Record<string, string> = {
      PATH: this.binDir,
      HOME: this.dir,
      LANG: 'C.UTF-8',
      FAKE_JUJU_STATE: this.stateFile,
      FAKE_JUJU_AGENT: this.agentSocket,
      CHARM_DIR: this.charmDir,
      JUJU_CHARM_DIR: this.charmDir,
      JUJU_CONTEXT_ID: `${state.unit}-${name}-${++this.contextSeq}`,
      JUJU_DISPATCH_PATH: `${isAction ? 'actions' : 'hooks'}/${name}`,
      JUJU_HOOK_NAME: isAction ? '' : name,
      JUJU_UNIT_NAME: state.unit,
      JUJU_MODEL_NAME: state.model.name,
      JUJU_MODEL_UUID: state.model.uuid,
      JUJU_VERSION: '3.6.14',
      JUJU_AGENT_SOCKET_ADDRESS: this.agentSocket,
      JUJU_AGENT_SOCKET_NETWORK: 'unix',
      JUJU_API_ADDRESSES: '10.0.0.1:17070',
      JUJU_MACHINE_ID: '',
      JUJU_PRINCIPAL_UNIT: '',
      JUJU_AVAILABILITY_ZONE: '',
      JUJU_CHARM_HTTP_PROXY: '',
      JUJU_CHARM_HTTPS_PROXY: '',
      JUJU_CHARM_FTP_PROXY: '',
      JUJU_CHARM_NO_PROXY: '127.0.0.1,localhost,::1',
      ...this.baseEnv,
      ...options.env,
    }
    if (options.relationId !== undefined) {
      const relation = state.relations.find((r) => r.id === options.relationId)
      if (!relation) throw new Error(`no relation ${options.relationId} in the fake model`)
      env['JUJU_RELATION'] = relation.endpoint
      env['JUJU_RELATION_ID'] = `${relation.endpoint}:${relation.id}`
      env['JUJU_REMOTE_APP'] = relation.peer ? state.app : relation.remoteApp
      const remoteUnit =
        options.remoteUnit ??
        (name.endsWith('-created') || name.endsWith('-broken')
          ? ''
          : (Object.keys(relation.remoteUnits)[0] ?? ''))
      env['JUJU_REMOTE_UNIT'] = remoteUnit
      if (name.endsWith('-departed'))
        env['JUJU_DEPARTING_UNIT'] = options.departingUnit ?? remoteUnit
    }
    if (options.workload !== undefined) env['JUJU_WORKLOAD_NAME'] = options.workload
    if (options.secret !== undefined) {
      env['JUJU_SECRET_ID'] = options.secret.id
      env['JUJU_SECRET_LABEL'] = options.secret.label ?? ''
    }
    if (isAction) {
      env['JUJU_ACTION_NAME'] = name
      env['JUJU_ACTION_UUID'] = String(this.contextSeq)
      env['JUJU_ACTION_TAG'] = `action-${this.contextSeq}`
    }
    return env
  }

  /** Runs `<charmDir>/dispatch` for one hook or action, with Juju's commit-on-success rule. */
  async dispatch(name: string, options: DispatchOptions = {}): Promise<DispatchRun> {
    const before = this.read()
    if (options.action !== undefined) {
      this.update((state) => {
        state.action = { params: options.action?.params ?? {}, results: {}, logs: [] }
      })
    }
    const env = this.env(name, options)
    const started = performance.now()
    const { code, stdout, stderr } = await run(join(this.charmDir, 'dispatch'), env, this.charmDir)
    const wallMs = performance.now() - started
    let state = this.read()
    if (code !== 0 && options.action === undefined) {
      // A failed hook's relation, secret, state and port changes are never committed (§1.7).
      for (const key of BUFFERED) (state as unknown as Record<string, unknown>)[key] = before[key]
      state.unitStatus = { status: 'error', message: `hook failed: "${name}"` }
      this.write(state)
      state = this.read()
    }
    return { code, stdout, stderr, wallMs, state }
  }
}

function run(
  file: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, [], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolveRun({ code: code ?? 1, stdout, stderr }))
  })
}

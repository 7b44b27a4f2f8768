import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as v from 'valibot'
import { HookToolError, HookToolOutputError, hookToolError } from './errors.js'
import { issueLine } from '../issues.js'

/** The result of one tool process. */
export interface ToolOutput {
  code: number
  stdout: string
  stderr: string
}

/** Runs one hook tool; injected so tests and the harness need no processes. */
export type ToolRunner = (argv: readonly string[], stdin?: string) => Promise<ToolOutput>

/** A status the charm may set (`error` and `unknown` belong to Juju). */
export type SettableStatus = 'active' | 'blocked' | 'maintenance' | 'waiting'

/** Log levels `juju-log` takes. */
export type JujuLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL'

/** Options of `secret-add` and `secret-set`. */
export interface SecretOptions {
  label?: string
  description?: string
  /** RFC 3339 time. */
  expire?: string
  rotate?: 'never' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly'
  owner?: 'application' | 'unit'
}

/** What `secret-info-get` reports for one secret. */
export interface SecretInfo {
  revision: number
  label?: string
  description?: string
  expiry?: string
  rotation?: string
  rotates?: string
}

/** What `network-get --format=json` reports for a binding. */
export interface NetworkInfo {
  'bind-addresses': {
    'mac-address'?: string
    'interface-name'?: string
    addresses: { hostname?: string; value: string; cidr?: string }[]
  }[]
  'egress-subnets': string[]
  'ingress-addresses': string[]
}

/** The hook tools, with the flags and JSON formats ops uses (contract §2). */
export interface HookTools {
  configGet(): Promise<Record<string, string | number | boolean>>
  relationIds(endpoint: string): Promise<string[]>
  relationList(relation: string): Promise<string[]>
  relationRemoteApp(relation: string): Promise<string>
  relationGet(
    relation: string,
    unitOrApp: string,
    options?: { app?: boolean },
  ): Promise<Record<string, string>>
  relationSet(
    relation: string,
    data: Record<string, string>,
    options?: { app?: boolean },
  ): Promise<void>
  isLeader(): Promise<boolean>
  statusSet(
    status: SettableStatus,
    message: string,
    options?: { application?: boolean },
  ): Promise<void>
  jujuLog(level: JujuLogLevel, message: string): Promise<void>
  actionGet(): Promise<Record<string, unknown>>
  actionSet(results: Record<string, unknown>): Promise<void>
  actionFail(message: string): Promise<void>
  actionLog(message: string): Promise<void>
  secretAdd(content: Record<string, string>, options?: SecretOptions): Promise<string>
  secretGet(target: {
    id?: string
    label?: string
    refresh?: boolean
    peek?: boolean
  }): Promise<Record<string, string>>
  secretSet(
    id: string,
    content: Record<string, string> | null,
    options?: SecretOptions,
  ): Promise<void>
  secretIds(): Promise<string[]>
  secretInfoGet(target: { id?: string; label?: string }): Promise<Record<string, SecretInfo>>
  stateGet(key?: string): Promise<unknown>
  stateSet(data: Record<string, string>): Promise<void>
  applicationVersionSet(version: string): Promise<void>
  openPort(port: string, options?: { endpoints?: string[] }): Promise<void>
  /** `network-get`; the bind address ops uses is `['bind-addresses'][0].addresses[0].value`. */
  networkGet(binding: string, options?: { relation?: string }): Promise<NetworkInfo>
}

const ACTION_KEY = /^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$/
const SECRET_KEY = /^([a-z](?:-?[a-z0-9]){2,})$/

/** Flattens nested results with `.` as ops does, checking every key. */
export function flattenActionResults(
  results: Record<string, unknown>,
  prefix = '',
): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [key, value] of Object.entries(results)) {
    const full = prefix === '' ? key : `${prefix}.${key}`
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(flat, flattenActionResults(value as Record<string, unknown>, full))
      continue
    }
    if (!ACTION_KEY.test(full))
      throw new HookToolError(
        'action-set',
        2,
        `ERROR invalid action result key ${JSON.stringify(full)}`,
      )
    flat[full] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  return flat
}

/** Runs the real tools found on `PATH`, without a shell. */
export function spawnToolRunner(env: NodeJS.ProcessEnv = process.env): ToolRunner {
  return (argv, stdin) =>
    new Promise((resolve) => {
      const [command, ...args] = argv as [string, ...string[]]
      const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      child.on('error', (error: NodeJS.ErrnoException) =>
        resolve({
          code: 127,
          stdout,
          stderr: `ERROR ${command}: ${error.code === 'ENOENT' ? 'hook tool not found on PATH' : error.message}`,
        }),
      )
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
      child.stdin.on('error', () => {})
      child.stdin.end(stdin ?? '')
    })
}

const StringMap = v.record(v.string(), v.string())
const StringList = v.array(v.string())

/**
 * Builds the hook-tool backend over a runner. Each method maps a non-zero exit to a typed
 * {@link HookToolError} and validates the JSON it reads.
 *
 * @example
 * ```ts
 * const tools = createHookTools(spawnToolRunner())
 * await tools.statusSet('active', '')
 * ```
 */
export function createHookTools(run: ToolRunner): HookTools {
  async function call(argv: string[], stdin?: string): Promise<string> {
    const tool = argv[0] ?? ''
    const output = await run(argv, stdin)
    if (output.code !== 0) throw hookToolError(tool, output.code, output.stderr, output.stdout)
    return output.stdout
  }
  async function json<T>(schema: v.GenericSchema<unknown, T>, argv: string[]): Promise<T> {
    const stdout = await call(argv)
    let value: unknown
    try {
      value = JSON.parse(stdout.trim() === '' ? 'null' : stdout)
    } catch {
      throw new HookToolOutputError(
        argv[0] ?? '',
        0,
        `ERROR output is not JSON: ${stdout.slice(0, 80)}`,
        stdout,
      )
    }
    const parsed = v.safeParse(schema, value)
    if (!parsed.success) {
      throw new HookToolOutputError(
        argv[0] ?? '',
        0,
        `ERROR unexpected output: ${issueLine(parsed.issues)}`,
        stdout,
      )
    }
    return parsed.output
  }
  async function withContentFiles<T>(
    content: Record<string, string>,
    tool: string,
    use: (args: string[]) => Promise<T>,
  ): Promise<T> {
    // Secret values go through 0600 files, never argv, so they do not show up in `ps`.
    const directory = mkdtempSync(join(tmpdir(), 'charm-secret-'))
    try {
      const args = Object.entries(content).map(([key, value]) => {
        if (!SECRET_KEY.test(key))
          throw new HookToolError(tool, 2, `ERROR invalid secret key ${JSON.stringify(key)}`)
        const file = join(directory, key)
        writeFileSync(file, value, { mode: 0o600 })
        return `${key}#file=${file}`
      })
      return await use(args)
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  }
  const secretFlags = (options: SecretOptions = {}): string[] => [
    ...(options.label === undefined ? [] : ['--label', options.label]),
    ...(options.description === undefined ? [] : ['--description', options.description]),
    ...(options.expire === undefined ? [] : ['--expire', options.expire]),
    ...(options.rotate === undefined ? [] : ['--rotate', options.rotate]),
    ...(options.owner === undefined ? [] : ['--owner', options.owner]),
  ]

  const NetworkSchema = v.looseObject({
    'bind-addresses': v.optional(
      v.array(
        v.looseObject({
          'mac-address': v.optional(v.string()),
          'interface-name': v.optional(v.string()),
          addresses: v.optional(
            v.array(
              v.looseObject({
                hostname: v.optional(v.string()),
                value: v.string(),
                cidr: v.optional(v.string()),
              }),
            ),
            [],
          ),
        }),
      ),
      [],
    ),
    'egress-subnets': v.optional(v.array(v.string()), []),
    'ingress-addresses': v.optional(v.array(v.string()), []),
  })

  return {
    networkGet: (binding, options = {}) =>
      json(NetworkSchema, [
        'network-get',
        '--format=json',
        ...(options.relation === undefined ? [] : ['-r', options.relation]),
        binding,
      ]) as Promise<NetworkInfo>,
    configGet: () =>
      json(v.record(v.string(), v.union([v.string(), v.number(), v.boolean()])), [
        'config-get',
        '--format=json',
      ]),
    relationIds: (endpoint) => json(StringList, ['relation-ids', endpoint, '--format=json']),
    relationList: (relation) =>
      json(StringList, ['relation-list', '--format=json', '-r', relation]),
    relationRemoteApp: (relation) =>
      json(v.string(), ['relation-list', '--format=json', '--app', '-r', relation]),
    relationGet: async (relation, unitOrApp, options = {}) =>
      (await json(v.nullable(StringMap), [
        'relation-get',
        '--format=json',
        '-r',
        relation,
        ...(options.app === true ? ['--app'] : []),
        '-',
        unitOrApp,
      ])) ?? {},
    relationSet: async (relation, data, options = {}) => {
      await call(
        ['relation-set', '-r', relation, ...(options.app === true ? ['--app'] : []), '--file', '-'],
        JSON.stringify(data),
      )
    },
    isLeader: () => json(v.boolean(), ['is-leader', '--format=json']),
    statusSet: async (status, message, options = {}) => {
      await call([
        'status-set',
        `--application=${options.application === true ? 'True' : 'False'}`,
        status,
        '--',
        message,
      ])
    },
    jujuLog: async (level, message) => {
      await call(['juju-log', '--log-level', level, '--', message])
    },
    actionGet: () => json(v.record(v.string(), v.unknown()), ['action-get', '--format=json']),
    actionSet: async (results) => {
      const flat = flattenActionResults(results)
      await call(['action-set', ...Object.entries(flat).map(([key, value]) => `${key}=${value}`)])
    },
    actionFail: async (message) => {
      await call(['action-fail', '--', message])
    },
    actionLog: async (message) => {
      await call(['action-log', '--', message])
    },
    secretAdd: (content, options = {}) =>
      withContentFiles(content, 'secret-add', async (args) =>
        (await call(['secret-add', ...secretFlags(options), ...args])).trim(),
      ),
    secretGet: async ({ id, label, refresh, peek }) => {
      if (id === undefined && label === undefined)
        throw new HookToolError('secret-get', 2, 'ERROR need a secret id or label')
      return json(StringMap, [
        'secret-get',
        '--format=json',
        ...(id === undefined ? [] : [id]),
        ...(label === undefined ? [] : ['--label', label]),
        ...(refresh === true ? ['--refresh'] : []),
        ...(peek === true ? ['--peek'] : []),
      ])
    },
    secretSet: (id, content, options = {}) =>
      withContentFiles(content ?? {}, 'secret-set', async (args) => {
        await call(['secret-set', ...secretFlags(options), id, ...args])
      }),
    secretIds: () => json(StringList, ['secret-ids', '--format=json']),
    secretInfoGet: async ({ id, label }) => {
      if (id === undefined && label === undefined)
        throw new HookToolError('secret-info-get', 2, 'ERROR need a secret id or label')
      const info = v.looseObject({
        revision: v.number(),
        label: v.optional(v.string()),
        description: v.optional(v.string()),
        expiry: v.optional(v.string()),
        rotation: v.optional(v.string()),
        rotates: v.optional(v.string()),
      })
      return json(v.record(v.string(), info), [
        'secret-info-get',
        '--format=json',
        ...(id === undefined ? ['--label', label ?? ''] : [id]),
      ])
    },
    stateGet: (key) =>
      json(v.unknown(), ['state-get', '--format=json', ...(key === undefined ? [] : [key])]),
    stateSet: async (data) => {
      await call(['state-set', '--file', '-'], JSON.stringify(data))
    },
    applicationVersionSet: async (version) => {
      await call(['application-version-set', '--', version])
    },
    openPort: async (port, options = {}) => {
      await call([
        'open-port',
        ...(options.endpoints === undefined ? [] : ['--endpoints', options.endpoints.join(',')]),
        port,
      ])
    },
  }
}

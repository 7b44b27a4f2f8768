// Process-level tests of @webhook-router/charm-machine: a charm entry point run the way Juju runs
// `dispatch` (one process per hook, environment variables, hook tools on PATH), and the
// `charm-machine` bin replaying the log that those processes left behind.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PACKAGE = fileURLToPath(new URL('../../packages/charm-machine/', import.meta.url))
const FAKE_TOOL = join(PACKAGE, 'src/__fixtures__/fake-juju-tool.mjs')
const BIN = join(PACKAGE, 'bin/charm-machine.js')
const TOOLS = [
  'config-get',
  'relation-ids',
  'relation-list',
  'relation-get',
  'relation-set',
  'is-leader',
  'status-set',
  'juju-log',
  'action-get',
  'action-set',
  'action-fail',
  'action-log',
  'secret-get',
  'open-port',
]

/** A charm entry point: no Pebble (its container is reported unreachable until a flag file exists). */
const CHARM = `
import { existsSync } from 'node:fs'
import { runHook } from ${JSON.stringify(join(PACKAGE, 'dist/juju/index.js'))}
const outcome = await runHook({
  containers: ['web'],
  integrations: { db: { kind: 'database', required: true } },
  connectWorkload: () => ({ canConnect: async () => existsSync(process.env.PEBBLE_UP_FLAG) }),
  effects: (runtime) => ({
    validateConfig: async ({ config }) => ({ errors: config['mode'] === 'bad' ? ['invalid options: mode'] : [] }),
    runMigrations: async () => undefined,
    restartWorkload: async () => runtime.tools.openPort('8000/tcp'),
    stopWorkload: async () => undefined,
  }),
})
process.exitCode = outcome.exitCode
`

function unitSandbox() {
  const root = mkdtempSync(join(tmpdir(), 'charm-machine-e2e-'))
  const bin = join(root, 'bin')
  const charmDir = join(root, 'charm')
  spawnSync('mkdir', ['-p', bin, charmDir])
  chmodSync(FAKE_TOOL, 0o755)
  for (const tool of TOOLS) symlinkSync(FAKE_TOOL, join(bin, tool))
  writeFileSync(join(charmDir, 'charm.mjs'), CHARM)
  const statePath = join(root, 'juju.json')
  writeFileSync(
    statePath,
    JSON.stringify({
      calls: [],
      app: 'demo',
      unit: 'demo/0',
      leader: true,
      config: { mode: 'good' },
      relations: {
        'db:4': {
          remoteApp: 'mongodb-k8s',
          units: { 'mongodb-k8s/0': {} },
          remoteAppData: { uris: 'mongodb://h/demo' },
          localApp: {},
          localUnit: {},
        },
      },
      statuses: [],
      logs: [],
      actionParams: {},
      actionResults: {},
      secrets: {},
      controller: {},
      ports: [],
    }),
  )
  const flag = join(root, 'pebble-up')
  const dispatch = (path: string, extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(charmDir, 'charm.mjs')], {
      cwd: charmDir,
      encoding: 'utf8',
      env: {
        PATH: `${bin}:${process.env['PATH'] ?? ''}`,
        FAKE_JUJU_STATE: statePath,
        PEBBLE_UP_FLAG: flag,
        JUJU_DISPATCH_PATH: path,
        JUJU_HOOK_NAME: path.startsWith('hooks/') ? path.slice(6) : '',
        JUJU_UNIT_NAME: 'demo/0',
        JUJU_MODEL_NAME: 'm',
        JUJU_MODEL_UUID: 'uuid',
        JUJU_VERSION: '3.6.14',
        JUJU_CHARM_DIR: charmDir,
        ...extra,
      },
    })
  const juju = () =>
    JSON.parse(readFileSync(statePath, 'utf8')) as {
      statuses: { application: boolean; status: string; message: string }[]
      ports: string[]
    }
  return { root, charmDir, flag, dispatch, juju, statePath }
}

describe('charm-machine as a Juju dispatch process', () => {
  it('walks a unit from install to active over separate hook processes, persisting between them', () => {
    const unit = unitSandbox()
    expect(unit.dispatch('hooks/install').status).toBe(0)
    expect(unit.juju().statuses.at(-1)).toEqual({
      application: true,
      status: 'waiting',
      message: 'Waiting for pebble ready',
    })
    writeFileSync(unit.flag, '')
    const ready = unit.dispatch('hooks/web-pebble-ready', { JUJU_WORKLOAD_NAME: 'web' })
    expect(ready.status).toBe(0)
    const unitStatuses = unit.juju().statuses.filter((status) => !status.application)
    expect(unitStatuses.at(-1)).toEqual({ application: false, status: 'active', message: '' })
    expect(unitStatuses.map((status) => status.status)).toContain('maintenance')
    expect(unit.juju().ports).toEqual(['8000/tcp'])
  })

  it('blocks on invalid config and recovers when it is fixed', () => {
    const unit = unitSandbox()
    writeFileSync(unit.flag, '')
    const state = JSON.parse(readFileSync(unit.statePath, 'utf8')) as {
      config: Record<string, string>
    }
    writeFileSync(unit.statePath, JSON.stringify({ ...state, config: { mode: 'bad' } }))
    unit.dispatch('hooks/config-changed')
    expect(unit.juju().statuses.at(-1)).toMatchObject({
      status: 'blocked',
      message: 'invalid options: mode',
    })
    const again = JSON.parse(readFileSync(unit.statePath, 'utf8')) as object
    writeFileSync(unit.statePath, JSON.stringify({ ...again, config: { mode: 'good' } }))
    unit.dispatch('hooks/config-changed')
    expect(unit.juju().statuses.at(-1)).toMatchObject({ status: 'active' })
  })

  it('exits 1 with one line on stderr when the environment is not a hook', () => {
    const unit = unitSandbox()
    const result = unit.dispatch('bin/sh')
    expect(result.status).toBe(1)
    expect(result.stderr).toBe(
      'charm-machine: JUJU_DISPATCH_PATH: must be hooks/<name> or actions/<name>\n',
    )
  })

  it('lets the charm-machine bin replay the log those processes wrote, ending in the live state', () => {
    const unit = unitSandbox()
    writeFileSync(unit.flag, '')
    unit.dispatch('hooks/install')
    unit.dispatch('hooks/update-status')
    const replay = spawnSync(
      process.execPath,
      [BIN, 'replay', join(unit.charmDir, '.charm-machine')],
      { encoding: 'utf8' },
    )
    expect(replay.status).toBe(0)
    const lines = replay.stdout.trim().split('\n')
    expect(lines[0]).toMatch(
      /^1\t\S+\tjuju\.install\tidle -> reconciling\.validatingConfig\tvalidateConfig$/,
    )
    expect(lines.at(-2)).toMatch(/\tjuju\.update-status\tactive -> active\t-$/)
    expect(lines.at(-1)).toBe('final\t{"lifecycle":"active","tasks":"idle"}\tactive')
    const checkpoint = JSON.parse(
      readFileSync(join(unit.charmDir, '.charm-machine/snapshot.json'), 'utf8'),
    ) as { record: { value: unknown } }
    expect(checkpoint.record.value).toEqual({ lifecycle: 'active', tasks: 'idle' })
  })

  it('prints a Mermaid diagram from the bin and rejects an unknown command with exit 2', () => {
    const diagram = spawnSync(process.execPath, [BIN, 'diagram'], { encoding: 'utf8' })
    expect(diagram.status).toBe(0)
    expect(diagram.stdout.split('\n')[0]).toBe('stateDiagram-v2')
    const unknown = spawnSync(process.execPath, [BIN, 'draw'], { encoding: 'utf8' })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toBe('charm-machine: unknown command "draw" (try --help)\n')
  })
})

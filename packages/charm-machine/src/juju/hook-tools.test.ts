import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  HookToolError,
  HookToolOutputError,
  ModelError,
  RelationNotFoundError,
  SecretNotFoundError,
  createHookTools,
  spawnToolRunner,
} from './index.js'

const FAKE = fileURLToPath(new URL('../__fixtures__/fake-juju-tool.mjs', import.meta.url))
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
  'secret-add',
  'secret-get',
  'secret-set',
  'secret-ids',
  'secret-info-get',
  'state-get',
  'state-set',
  'application-version-set',
  'open-port',
  'network-get',
]

interface FakeState {
  calls: { tool: string; args: string[]; stdin: string }[]
  [key: string]: unknown
}

/** Puts the fake tools on a temp PATH backed by a JSON state file. */
function fakeJuju(overrides: Record<string, unknown> = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'fake-juju-'))
  chmodSync(FAKE, 0o755)
  for (const tool of TOOLS) symlinkSync(FAKE, join(directory, tool))
  const statePath = join(directory, 'state.json')
  writeFileSync(
    statePath,
    JSON.stringify({
      calls: [],
      app: 'app',
      unit: 'app/0',
      leader: true,
      config: { 'log-level': 'INFO', workers: 4, debug: false },
      relations: {
        'mongodb:7': {
          remoteApp: 'mongodb-k8s',
          units: { 'mongodb-k8s/0': { 'private-address': '10.0.0.1' } },
          remoteAppData: { endpoints: 'h0' },
          localApp: {},
          localUnit: { keep: 'me' },
        },
      },
      statuses: [],
      logs: [],
      actionParams: { since: 3600, 'github-path': 'org/repo' },
      actionResults: {},
      secrets: {
        'secret:granted': {
          owner: null,
          tracked: { token: 'old' },
          latest: { token: 'new' },
          revision: 2,
        },
        'secret:denied': { owner: null, denied: true, tracked: {}, latest: {}, revision: 1 },
      },
      controller: {},
      ports: [],
      ...overrides,
    }),
  )
  const tools = createHookTools(
    spawnToolRunner({
      ...process.env,
      PATH: `${directory}:${process.env['PATH'] ?? ''}`,
      FAKE_JUJU_STATE: statePath,
    }),
  )
  const read = () => JSON.parse(readFileSync(statePath, 'utf8')) as FakeState
  const lastArgs = () => read().calls.at(-1)?.args
  return { tools, read, lastArgs, directory }
}

describe('hook-tool backend', () => {
  it('reads typed config with config-get --format=json', async () => {
    const juju = fakeJuju()
    expect(await juju.tools.configGet()).toEqual({ 'log-level': 'INFO', workers: 4, debug: false })
    expect(juju.read().calls[0]).toMatchObject({ tool: 'config-get', args: ['--format=json'] })
  })

  it('lists relation ids, remote units and the remote app', async () => {
    const juju = fakeJuju()
    expect(await juju.tools.relationIds('mongodb')).toEqual(['mongodb:7'])
    expect(await juju.tools.relationList('mongodb:7')).toEqual(['mongodb-k8s/0'])
    expect(juju.lastArgs()).toEqual(['--format=json', '-r', 'mongodb:7'])
    expect(await juju.tools.relationRemoteApp('mongodb:7')).toBe('mongodb-k8s')
  })

  it('reads a unit bag and an app bag with relation-get', async () => {
    const juju = fakeJuju()
    expect(await juju.tools.relationGet('mongodb:7', 'mongodb-k8s/0')).toEqual({
      'private-address': '10.0.0.1',
    })
    expect(await juju.tools.relationGet('mongodb:7', 'mongodb-k8s', { app: true })).toEqual({
      endpoints: 'h0',
    })
    expect(juju.lastArgs()).toEqual([
      '--format=json',
      '-r',
      'mongodb:7',
      '--app',
      '-',
      'mongodb-k8s',
    ])
  })

  it('raises RelationNotFoundError with exit 2 for an unknown relation id', async () => {
    const juju = fakeJuju()
    const error = await juju.tools.relationGet('mongodb:99', 'x').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RelationNotFoundError)
    expect(error).toMatchObject({
      code: 2,
      stderr: 'ERROR invalid value "mongodb:99" for option -r: relation not found\n',
    })
  })

  it('writes relation data as JSON on stdin, where an empty value deletes the key', async () => {
    const juju = fakeJuju()
    await juju.tools.relationSet('mongodb:7', { data: '{"a":1}', keep: '' })
    const call = juju.read().calls.at(-1)
    expect(call).toMatchObject({
      args: ['-r', 'mongodb:7', '--file', '-'],
      stdin: '{"data":"{\\"a\\":1}","keep":""}',
    })
    expect(
      (juju.read()['relations'] as Record<string, { localUnit: object }>)['mongodb:7']?.localUnit,
    ).toEqual({ data: '{"a":1}' })
  })

  it('reports a non-leader app-bag write as an access-denied ModelError', async () => {
    const juju = fakeJuju({ leader: false })
    const error = await juju.tools
      .relationSet('mongodb:7', { a: 'b' }, { app: true })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ModelError)
    expect((error as ModelError).isAccessDenied).toBe(true)
    expect((error as ModelError).code).toBe(1)
  })

  it('reads leadership with is-leader --format=json', async () => {
    expect(await fakeJuju({ leader: false }).tools.isLeader()).toBe(false)
  })

  it('sets unit and app statuses with ops flags, refusing the app status on a non-leader', async () => {
    const juju = fakeJuju()
    await juju.tools.statusSet('blocked', 'missing integrations: mongodb')
    expect(juju.lastArgs()).toEqual([
      '--application=False',
      'blocked',
      '--',
      'missing integrations: mongodb',
    ])
    await juju.tools.statusSet('active', '', { application: true })
    expect(juju.lastArgs()).toEqual(['--application=True', 'active', '--', ''])
    const follower = fakeJuju({ leader: false })
    await expect(follower.tools.statusSet('active', '', { application: true })).rejects.toThrow(
      'this unit is not the leader',
    )
  })

  it('logs with juju-log --log-level LEVEL -- message', async () => {
    const juju = fakeJuju()
    await juju.tools.jujuLog('WARNING', '-starts with a dash')
    expect(juju.lastArgs()).toEqual(['--log-level', 'WARNING', '--', '-starts with a dash'])
  })

  it('reads action params and writes flattened results, failure and log lines', async () => {
    const juju = fakeJuju()
    expect(await juju.tools.actionGet()).toEqual({ since: 3600, 'github-path': 'org/repo' })
    await juju.tools.actionSet({ redelivered: 3, detail: { ok: true } })
    expect(juju.lastArgs()).toEqual(['redelivered=3', 'detail.ok=true'])
    await juju.tools.actionFail('Argument parsing failed.')
    expect(juju.lastArgs()).toEqual(['--', 'Argument parsing failed.'])
    await juju.tools.actionLog('working')
    expect(juju.read()['action-log']).toBe('working')
  })

  it('refuses an action result key Juju would reject, before running the tool', async () => {
    const juju = fakeJuju()
    const error = await juju.tools.actionSet({ Bad_Key: 1 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(HookToolError)
    expect((error as HookToolError).code).toBe(2)
    expect(juju.read().calls).toEqual([])
  })

  it('adds a secret through 0600 files that are gone afterwards', async () => {
    const juju = fakeJuju()
    const id = await juju.tools.secretAdd(
      { 'secret-key': 's3cr3t' },
      { label: 'key', owner: 'application' },
    )
    expect(id).toBe('secret:fake3')
    const args = juju.lastArgs() ?? []
    expect(args.slice(0, 4)).toEqual(['--label', 'key', '--owner', 'application'])
    const file = (args[4] ?? '').split('#file=')[1] ?? ''
    expect(args[4]).toMatch(/^secret-key#file=/)
    expect(existsSync(file)).toBe(false)
    expect(JSON.stringify(juju.read().calls)).not.toContain('s3cr3t')
  })

  it('reads the tracked, refreshed or peeked secret revision', async () => {
    const juju = fakeJuju()
    expect(await juju.tools.secretGet({ id: 'secret:granted' })).toEqual({ token: 'old' })
    expect(await juju.tools.secretGet({ id: 'secret:granted', peek: true })).toEqual({
      token: 'new',
    })
    expect(
      await juju.tools.secretGet({
        id: 'secret:granted',
        label: 'mongodb.7.user.secret',
        refresh: true,
      }),
    ).toEqual({ token: 'new' })
    expect(juju.lastArgs()).toEqual([
      '--format=json',
      'secret:granted',
      '--label',
      'mongodb.7.user.secret',
      '--refresh',
    ])
    expect(await juju.tools.secretGet({ label: 'mongodb.7.user.secret' })).toEqual({ token: 'new' })
  })

  it('maps a missing secret to SecretNotFoundError and a denied one to an access-denied ModelError', async () => {
    const juju = fakeJuju()
    await expect(juju.tools.secretGet({ id: 'secret:nope' })).rejects.toBeInstanceOf(
      SecretNotFoundError,
    )
    const denied = await juju.tools
      .secretGet({ id: 'secret:denied' })
      .catch((caught: unknown) => caught)
    expect(denied).toBeInstanceOf(ModelError)
    expect((denied as ModelError).isAccessDenied).toBe(true)
  })

  it('updates, lists and describes owned secrets', async () => {
    const juju = fakeJuju()
    const id = await juju.tools.secretAdd({ value: 'one' }, { label: 'mine' })
    await juju.tools.secretSet(id, { value: 'two' })
    expect(await juju.tools.secretIds()).toEqual([id])
    expect(await juju.tools.secretInfoGet({ label: 'mine' })).toEqual({
      [id]: { revision: 2, label: 'mine' },
    })
    await expect(juju.tools.secretInfoGet({ id: 'secret:granted' })).rejects.toBeInstanceOf(
      SecretNotFoundError,
    )
  })

  it('stores and reads controller state', async () => {
    const juju = fakeJuju()
    await juju.tools.stateSet({ k: 'v' })
    expect(await juju.tools.stateGet('k')).toBe('v')
    expect(await juju.tools.stateGet()).toEqual({ k: 'v' })
  })

  it('sets the workload version and opens a port, rejecting a malformed port with exit 2', async () => {
    const juju = fakeJuju()
    await juju.tools.applicationVersionSet('1.2.3')
    expect(juju.lastArgs()).toEqual(['--', '1.2.3'])
    await juju.tools.openPort('8000/tcp')
    expect(juju.read()['ports']).toEqual(['8000/tcp'])
    await expect(juju.tools.openPort('eight/tcp')).rejects.toMatchObject({ code: 2 })
  })

  it('reads the bind address with network-get, scoped to a relation', async () => {
    const juju = fakeJuju()
    const network = await juju.tools.networkGet('ingress', { relation: 'mongodb:7' })
    expect(network['bind-addresses'][0]?.addresses[0]?.value).toBe('10.1.2.3')
    expect(juju.lastArgs()).toEqual(['--format=json', '-r', 'mongodb:7', 'ingress'])
    await expect(
      juju.tools.networkGet('ingress', { relation: 'mongodb:99' }),
    ).rejects.toBeInstanceOf(RelationNotFoundError)
  })

  it('reports a tool missing from PATH with exit 127', async () => {
    const tools = createHookTools(
      spawnToolRunner({ PATH: mkdtempSync(join(tmpdir(), 'empty-path-')) }),
    )
    await expect(tools.isLeader()).rejects.toMatchObject({
      code: 127,
      message: expect.stringContaining('hook tool not found on PATH'),
    })
  })

  it('raises HookToolOutputError when a tool prints something that is not its JSON', async () => {
    const juju = fakeJuju({ broken: 'config-get' })
    await expect(juju.tools.configGet()).rejects.toBeInstanceOf(HookToolOutputError)
  })
})

/**
 * The fake Juju the charm's e2e test runs under: its hook tools must answer with the flags,
 * JSON, error texts and exit codes of juju-contract §2, or the e2e test proves nothing.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeJuju, initialState, type FakeState } from '../fake-juju/fake-juju.js'
import { runTool } from '../fake-juju/tools.mjs'

const run = promisify(execFile)

function state(overrides: Partial<FakeState> = {}): FakeState {
  return initialState({
    config: { 'log-level': 'INFO', 'redelivery-interval': 0 },
    relations: [
      {
        id: 7,
        endpoint: 'mongodb',
        remoteApp: 'mongodb-k8s',
        remoteUnits: { 'mongodb-k8s/0': { 'ingress-address': '10.0.0.9' } },
        remoteAppData: { database: 'db' },
        localApp: {},
        localUnit: {},
      },
    ],
    secrets: {
      s1: { owner: null, granted: true, revisions: [{ token: 'a' }, { token: 'b' }], tracked: 1 },
    },
    ...overrides,
  })
}

const tool = (
  s: FakeState,
  name: string,
  args: string[],
  env: Record<string, string> = {},
  stdin = '',
) => runTool(s, name, args, env, stdin)

describe('fake hook tools (§2)', () => {
  it('returns typed config with --format=json', () => {
    expect(JSON.parse(tool(state(), 'config-get', ['--format=json']).stdout)).toEqual({
      'log-level': 'INFO',
      'redelivery-interval': 0,
    })
  })

  it('lists relation ids as endpoint:id', () => {
    expect(JSON.parse(tool(state(), 'relation-ids', ['mongodb', '--format=json']).stdout)).toEqual([
      'mongodb:7',
    ])
  })

  it('reads the remote application bag with --app', () => {
    const out = tool(state(), 'relation-get', [
      '--format=json',
      '-r',
      'mongodb:7',
      '--app',
      '-',
      'mongodb-k8s',
    ])
    expect(JSON.parse(out.stdout)).toEqual({ database: 'db' })
  })

  it('rejects an unknown relation as a usage error with exit code 2', () => {
    const out = tool(state(), 'relation-get', ['--format=json', '-r', 'mongodb:99', '-', 'x/0'])
    expect(out).toEqual({
      stdout: '',
      stderr: 'ERROR invalid value "mongodb:99" for option -r: relation not found\n',
      code: 2,
    })
  })

  it('deletes a key written as an empty string', () => {
    const s = state()
    tool(s, 'relation-set', ['-r', 'mongodb:7', '--file', '-'], {}, '{"a":"1","b":"2"}')
    tool(s, 'relation-set', ['-r', 'mongodb:7', '--file', '-'], {}, '{"a":""}')
    expect(s.relations[0]?.localUnit).toEqual({ b: '2' })
  })

  it('refuses an application bag write from a non-leader', () => {
    const out = tool(
      state({ leader: false }),
      'relation-set',
      ['-r', 'mongodb:7', '--app', '--file', '-'],
      {},
      '{"a":"1"}',
    )
    expect(out).toMatchObject({ stderr: 'ERROR cannot write relation settings\n', code: 1 })
  })

  it('refuses the application status from a non-leader', () => {
    const out = tool(state({ leader: false }), 'status-set', ['--application=True', 'active', ''])
    expect(out).toMatchObject({ stderr: 'ERROR this unit is not the leader\n', code: 1 })
  })

  it('refuses a status the charm may not set', () => {
    expect(tool(state(), 'status-set', ['error', 'x']).code).toBe(2)
  })

  it('returns the tracked secret revision until --refresh, and the latest with --peek', () => {
    const s = state()
    expect(JSON.parse(tool(s, 'secret-get', ['--format=json', 'secret:s1']).stdout)).toEqual({
      token: 'a',
    })
    expect(
      JSON.parse(tool(s, 'secret-get', ['--format=json', 'secret:s1', '--peek']).stdout),
    ).toEqual({ token: 'b' })
    expect(JSON.parse(tool(s, 'secret-get', ['--format=json', 'secret:s1']).stdout)).toEqual({
      token: 'a',
    })
    expect(
      JSON.parse(tool(s, 'secret-get', ['--format=json', 'secret:s1', '--refresh']).stdout),
    ).toEqual({ token: 'b' })
    expect(JSON.parse(tool(s, 'secret-get', ['--format=json', 'secret:s1']).stdout)).toEqual({
      token: 'b',
    })
  })

  it('accepts both secret URI forms', () => {
    const s = state()
    expect(tool(s, 'secret-get', ['--format=json', `secret://${s.model.uuid}/s1`]).code).toBe(0)
  })

  it('answers not found for an unknown secret and permission denied for an ungranted one', () => {
    const s = state()
    s.secrets['s2'] = { owner: null, granted: false, revisions: [{ token: 'x' }] }
    expect(tool(s, 'secret-get', ['secret:nope']).stderr).toBe('ERROR secret "nope" not found\n')
    expect(tool(s, 'secret-get', ['secret:s2']).stderr).toBe('ERROR permission denied\n')
  })

  it('records action results and failures only during an action', () => {
    const s = state({ action: { params: { since: 5 }, results: {}, logs: [] } })
    const env = { JUJU_ACTION_NAME: 'redeliver-failed-webhooks' }
    expect(JSON.parse(tool(s, 'action-get', ['--format=json'], env).stdout)).toEqual({ since: 5 })
    tool(s, 'action-set', ['redelivered=3'], env)
    tool(s, 'action-fail', ['--', 'boom'], env)
    expect(s.action).toMatchObject({ results: { redelivered: '3' }, failed: 'boom' })
    expect(tool(s, 'action-set', ['Bad_Key=1'], env).code).toBe(2)
    expect(tool(state(), 'action-get', []).stderr).toBe('ERROR not running an action\n')
  })
})

describe('the fake Juju dispatcher', () => {
  let dir: string
  let juju: FakeJuju

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-juju-'))
    const charmDir = join(dir, 'charm')
    await run('mkdir', ['-p', charmDir])
    // A charm whose dispatch writes relation data, then fails: Juju must drop the write.
    writeFileSync(
      join(charmDir, 'dispatch'),
      '#!/bin/sh\nstatus-set maintenance "working"\necho \'{"k":"v"}\' | relation-set -r mongodb:7 --file -\n[ "$JUJU_HOOK_NAME" = fail ] && exit 1\nexit 0\n',
      { mode: 0o755 },
    )
    juju = await FakeJuju.start(join(dir, 'juju'), charmDir, state())
  })

  afterAll(async () => {
    await juju.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('commits relation writes of a hook that succeeds', async () => {
    const result = await juju.dispatch('ok')
    expect(result.code).toBe(0)
    expect(juju.relation('mongodb')?.localUnit).toEqual({ k: 'v' })
  })

  it('drops the relation writes of a failed hook but keeps its status history', async () => {
    juju.update((s) => {
      const mongo = s.relations[0]
      if (mongo) mongo.localUnit = {}
    })
    const result = await juju.dispatch('fail')
    expect(result.code).toBe(1)
    expect(juju.relation('mongodb')?.localUnit).toEqual({})
    expect(result.state.unitStatus).toEqual({ status: 'error', message: 'hook failed: "fail"' })
    expect(result.state.statusHistory.at(-1)).toMatchObject({
      status: 'maintenance',
      message: 'working',
    })
  })

  it('sets the relation environment of a relation hook', () => {
    const env = juju.env('mongodb-relation-changed', { relationId: 7 })
    expect(env).toMatchObject({
      JUJU_RELATION: 'mongodb',
      JUJU_RELATION_ID: 'mongodb:7',
      JUJU_REMOTE_APP: 'mongodb-k8s',
      JUJU_REMOTE_UNIT: 'mongodb-k8s/0',
      JUJU_DISPATCH_PATH: 'hooks/mongodb-relation-changed',
    })
  })
})

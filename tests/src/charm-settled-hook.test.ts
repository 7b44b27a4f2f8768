/**
 * What a quiet hook costs the packed charm: the exact hook-tool calls of `update-status` on a
 * settled unit, and proof that statuses are set again whenever something changed or the memo
 * that lets the charm skip them is gone. Runs the packed `dispatch` under the fake Juju with a
 * Pebble double whose `webhook-router` is a stand-in (no ports taken), as the charm bench does.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PebbleClient } from '@webhook-router/pebble-client'
import { startPebbleDouble, type PebbleDouble } from '@webhook-router/pebble-client/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeJuju, initialState, type DispatchRun } from '../fake-juju/fake-juju.js'
import { unpackCharm } from '../fake-juju/packed-charm.js'

const APP = 'github-runner-webhook-router'
const SECRET_ID = 'cmongo0000000000001'

let work: string
let juju: FakeJuju
let pebble: PebbleDouble

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'charm-settled-'))
  const charmDir = await unpackCharm(work)
  const stubs = join(work, 'stubs')
  mkdirSync(stubs)
  writeFileSync(
    join(stubs, 'webhook-router'),
    '#!/bin/sh\ncase "$1" in migrate) exit 0 ;; serve) exec sleep 100000 ;; esac\nexit 2\n',
  )
  chmodSync(join(stubs, 'webhook-router'), 0o755)
  const containers = join(work, 'containers')
  mkdirSync(join(containers, 'app'), { recursive: true })
  pebble = await startPebbleDouble({
    socketPath: join(containers, 'app', 'pebble.socket'),
    environment: { ...process.env, PATH: `${stubs}:${process.env['PATH'] ?? ''}` },
  })
  const state = initialState({
    config: {
      flavours: '- small: [small, x64]',
      'default-flavour': 'small',
      'log-level': 'INFO',
      'redelivery-interval': 0,
      'redelivery-webhook-id': 0,
    },
    relations: [
      {
        id: 1,
        endpoint: 'secret-storage',
        peer: true,
        remoteApp: APP,
        remoteUnits: {},
        remoteAppData: {},
        localApp: { app_secret_key: 'k'.repeat(86) },
        localUnit: {},
      },
      {
        id: 2,
        endpoint: 'mongodb',
        remoteApp: 'mongodb-k8s',
        remoteUnits: { 'mongodb-k8s/0': {} },
        localUnit: {},
        localApp: {},
        remoteAppData: {
          database: APP,
          endpoints: 'm-0.m-endpoints',
          'secret-user': `secret:${SECRET_ID}`,
        },
      },
      {
        id: 3,
        endpoint: 'ingress',
        remoteApp: 'traefik-k8s',
        remoteUnits: { 'traefik-k8s/0': {} },
        localApp: {},
        localUnit: {},
        remoteAppData: { ingress: '{"url": "http://settled.test/router"}' },
      },
    ],
    secrets: {
      [SECRET_ID]: {
        owner: null,
        granted: true,
        revisions: [
          {
            username: 'relation-2',
            password: 'pw',
            uris: `mongodb://relation-2:pw@m-0.m-endpoints:27017/${APP}`,
          },
        ],
      },
    },
  })
  juju = await FakeJuju.start(join(work, 'juju'), charmDir, state, {
    WEBHOOK_ROUTER_CONTAINERS_DIR: containers,
  })
}, 120_000)

afterAll(async () => {
  await pebble?.close()
  await juju?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

/** Dispatches `hook` and returns the run with the tool calls it made, one string each. */
async function dispatch(hook: string): Promise<DispatchRun & { calls: string[] }> {
  const before = juju.read().calls.length
  const run = await juju.dispatch(hook)
  expect(run.code, run.stderr).toBe(0)
  return { ...run, calls: run.state.calls.slice(before).map((call) => call.join(' ')) }
}

/**
 * The stand-in serves no /health: the ready check is stopped after every hook that adds the
 * layer, so that however slow this machine is, update-status never finds it failing (the last
 * test makes it fail on purpose).
 */
const READY_CHECK = 'webhook-router-ready'
const stopReadyCheck = async (): Promise<void> => {
  await new PebbleClient({ socketPath: pebble.socketPath }).stopChecks([READY_CHECK])
}

const memoFile = (): string => join(juju.charmDir, '.charm-machine', 'memo.json')

describe('a settled update-status of the packed charm', () => {
  it('settles the unit: migrate, layer, replan, active', async () => {
    const run = await dispatch('config-changed')
    expect(run.state.unitStatus).toEqual({ status: 'active', message: '' })
    await stopReadyCheck()
    expect(run.calls.filter((call) => call.startsWith('status-set'))).not.toHaveLength(0)
    // The first quiet hook reads back what config-changed wrote before trusting it.
    await dispatch('update-status')
  })

  it('makes exactly these twelve hook-tool calls, and sets no status', async () => {
    const run = await dispatch('update-status')
    // Reads run concurrently over several shells, so only the multiset is fixed.
    expect(run.calls.sort()).toEqual([
      'config-get --format=json',
      'is-leader --format=json',
      'network-get --format=json -r ingress:3 ingress',
      `relation-get --format=json -r ingress:3 --app - traefik-k8s`,
      `relation-get --format=json -r mongodb:2 - ${APP}/0`,
      'relation-get --format=json -r mongodb:2 --app - mongodb-k8s',
      `relation-get --format=json -r secret-storage:1 --app - ${APP}`,
      'relation-ids ingress --format=json',
      'relation-ids mongodb --format=json',
      'relation-ids rabbitmq --format=json',
      'relation-ids secret-storage --format=json',
      `secret-get --format=json secret:${SECRET_ID} --refresh`,
    ])
    expect(run.state.unitStatus).toEqual({ status: 'active', message: '' })
    expect(run.state.appStatus).toEqual({ status: 'active', message: '' })
    expect(existsSync(memoFile())).toBe(true)
  })

  it('sets both statuses again when the memo is lost', async () => {
    rmSync(memoFile())
    const run = await dispatch('update-status')
    expect(run.calls).toContain('status-set --application=False active -- ')
    expect(run.calls).toContain('status-set --application=True active -- ')
    expect(run.calls.some((call) => call.startsWith('relation-list --format=json --app'))).toBe(
      true,
    )
  })

  it('treats a damaged memo as none: the hook succeeds and sets the statuses', async () => {
    writeFileSync(memoFile(), '{"status.unit": ')
    const run = await dispatch('update-status')
    expect(run.calls).toContain('status-set --application=False active -- ')
    expect(run.state.unitStatus).toEqual({ status: 'active', message: '' })
  })

  it('sets the statuses on a hook that changes something (a config change that restarts)', async () => {
    juju.update((state) => {
      state.config['log-level'] = 'DEBUG'
    })
    const run = await dispatch('config-changed')
    await stopReadyCheck()
    const statuses = run.calls.filter((call) => call.startsWith('status-set --application=False'))
    expect(statuses).toContain('status-set --application=False active -- ')
    expect(statuses.length).toBeGreaterThan(1)
    expect(run.calls.some((call) => call.startsWith('juju-log'))).toBe(true)
  })

  it('sets them on upgrade-charm even when nothing changed', async () => {
    await dispatch('update-status')
    const run = await dispatch('upgrade-charm')
    expect(run.calls).toContain('status-set --application=False active -- ')
    expect(run.calls).toContain('status-set --application=True active -- ')
  })

  it('starts from the startup snapshot the pack built, and without it from the bundle', async () => {
    const blob = join(juju.charmDir, 'dist/charm.blob')
    expect(existsSync(blob)).toBe(true)
    const withSnapshot = await dispatch('update-status')
    rmSync(blob)
    const withoutSnapshot = await dispatch('update-status')
    expect(withoutSnapshot.calls.sort()).toEqual(withSnapshot.calls.sort())
    expect(withoutSnapshot.state.unitStatus).toEqual({ status: 'active', message: '' })
  })
})

describe('update-status of the packed charm against the Pebble double', () => {
  const client = () => new PebbleClient({ socketPath: pebble.socketPath })

  it('restarts webhook-router after it was stopped from outside, saying so', async () => {
    await client().stopAndWait(['webhook-router'])
    const run = await dispatch('update-status')
    expect(run.calls).toContain(
      'status-set --application=False maintenance -- Restarting: webhook-router in app is inactive',
    )
    const [service] = await client().getServices(['webhook-router'])
    expect(service?.current).toBe('active')
    expect(run.state.unitStatus).toEqual({ status: 'active', message: '' })
  })

  it('waits, naming the check, while the ready check fails, and is active once it passes', async () => {
    // The stand-in never answers /health: one refresh of a started check counts one failure.
    await client().startChecks([READY_CHECK])
    for (let failures = 0; failures < 3; failures++) {
      expect((await client().refreshCheck(READY_CHECK)).error).toBeDefined()
    }
    const failing = await dispatch('update-status')
    expect(failing.state.unitStatus.status).toBe('waiting')
    expect(failing.state.unitStatus.message).toMatch(
      /^Workload not ready: check "webhook-router-ready" failing \(\d+ failures?\)$/,
    )
    const [service] = await client().getServices(['webhook-router'])
    expect(service?.current).toBe('active')
    await stopReadyCheck()
    const recovered = await dispatch('update-status')
    expect(recovered.state.unitStatus).toEqual({ status: 'active', message: '' })
  })
})

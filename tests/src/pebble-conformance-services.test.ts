/**
 * Conformance, part 2: services as changes (start, stop, restart, replan, autostart), waiting
 * and its 504, the 1 s okay delay, backoff, changes and signals; the same assertions against
 * real Pebble v1.32.1 and against our double.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ChangeError,
  TimeoutError,
  type Layer,
  type PebbleClient,
  type ServiceConfig,
} from '@webhook-router/pebble-client'
import {
  eventually,
  PEBBLE_TARGETS,
  scratchDir,
  serviceState,
  untilService,
  type RunningPebble,
} from './pebble-targets.js'

const scratch = scratchDir('pebble-services')
afterAll(() => scratch.remove())

let counter = 0
/** A fresh file path for one test's service to write into. */
const fileFor = (name: string) => join(scratch.dir, `${name}-${++counter}`)
const lines = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

const services = (entries: Record<string, Omit<ServiceConfig, 'override'>>): Layer => ({
  services: Object.fromEntries(
    Object.entries(entries).map(([name, config]) => [name, { override: 'replace', ...config }]),
  ),
})
/** A service that records each start in `file`, then sleeps. */
const recording = (file: string) => `sh -c 'echo started >> ${file}; exec sleep 1000'`

describe.each(PEBBLE_TARGETS)('$name: services and changes', (target) => {
  let pebble: RunningPebble
  let client: PebbleClient

  beforeEach(async () => {
    pebble = await target.start()
    client = pebble.client
  })
  afterEach(async () => {
    await pebble.close()
  })

  it('lists plan services sorted, inactive and disabled until started, ignoring unknown names', async () => {
    await client.addLayer(
      'base',
      services({ b: { command: 'sleep 1000' }, a: { command: 'sleep 1000', startup: 'enabled' } }),
    )
    expect(await client.getServices()).toEqual([
      { name: 'a', startup: 'enabled', current: 'inactive' },
      { name: 'b', startup: 'disabled', current: 'inactive' },
    ])
    expect(await client.getServices(['b', 'ghost'])).toHaveLength(1)
  })

  it('starts a service as an async change that is Done after the okay delay', async () => {
    await client.addLayer('base', services({ svc: { command: 'sleep 1000' } }))
    const id = await client.start(['svc'])
    expect(id).toMatch(/^\d+$/)
    const change = await client.waitChange(id)
    expect(change).toMatchObject({
      id,
      kind: 'start',
      summary: 'Start service "svc"',
      status: 'Done',
      ready: true,
      tasks: [{ kind: 'start', summary: 'Start service "svc"', status: 'Done' }],
    })
    expect(change.err).toBeUndefined()
    expect(change['ready-time']).toEqual(expect.any(String))
    const [info] = await client.getServices(['svc'])
    expect(info).toMatchObject({ name: 'svc', current: 'active' })
    expect(info?.['current-since']).toEqual(expect.any(String))
  })

  it('logs "already started" for a service that runs, and starts what it requires first', async () => {
    await client.addLayer(
      'base',
      services({
        db: { command: 'sleep 1000' },
        app: { command: 'sleep 1000', requires: ['db'], after: ['db'] },
      }),
    )
    await client.startAndWait(['db'])
    const change = await client.startAndWait(['app'])
    expect(change.summary).toBe('Start service "app" and 1 more')
    expect(change.tasks?.map((task) => task.summary)).toEqual([
      'Start service "db"',
      'Start service "app"',
    ])
    expect(change.tasks?.[0]?.log?.[0]).toMatch(/ INFO Service "db" already started\.$/)
    expect(await serviceState(client, 'app')).toBe('active')
  })

  it('stops a service and what requires it; stopping a stopped service is Done', async () => {
    await client.addLayer(
      'base',
      services({
        db: { command: 'sleep 1000' },
        app: { command: 'sleep 1000', requires: ['db'], after: ['db'] },
      }),
    )
    await client.startAndWait(['app'])
    const change = await client.stopAndWait(['db'])
    // The summary names the requested service and counts the dependants stopped with it.
    expect(change).toMatchObject({
      kind: 'stop',
      summary: 'Stop service "db" and 1 more',
      status: 'Done',
    })
    expect(change.tasks?.map((task) => task.summary)).toEqual([
      'Stop service "app"',
      'Stop service "db"',
    ])
    expect((await client.getServices()).map((service) => service.current)).toEqual([
      'inactive',
      'inactive',
    ])
    expect((await client.stopAndWait(['db'])).status).toBe('Done')
  })

  it('restarts a running service with a new process', async () => {
    const file = fileFor('restart')
    await client.addLayer('base', services({ svc: { command: recording(file) } }))
    await client.startAndWait(['svc'])
    const change = await client.restartAndWait(['svc'])
    expect(change).toMatchObject({ kind: 'restart', summary: 'Restart service "svc"' })
    expect(change.tasks?.map((task) => task.kind)).toEqual(['stop', 'start'])
    expect(lines(file)).toEqual(['started', 'started'])
    expect(await serviceState(client, 'svc')).toBe('active')
  })

  it('SIGKILLs a service that ignores SIGTERM after its kill-delay', async () => {
    await client.addLayer(
      'base',
      services({
        stubborn: {
          command: `sh -c 'trap "" TERM; while true; do sleep 0.1; done'`,
          'kill-delay': '1s',
        },
      }),
    )
    await client.startAndWait(['stubborn'])
    const change = await client.stopAndWait(['stubborn'])
    expect(change.status).toBe('Done')
    expect(await serviceState(client, 'stubborn')).toBe('inactive')
  })

  it('answers 400 for unknown services, empty lists, names on replan and unknown actions', async () => {
    await client.addLayer('base', services({ svc: { command: 'sleep 1000' } }))
    await expect(client.start(['ghost'])).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot start services: service "ghost" does not exist',
    })
    await expect(client.stop(['ghost'])).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot stop services: service "ghost" does not exist',
    })
    await expect(client.restart(['ghost'])).rejects.toMatchObject({
      message: 'cannot restart services: service "ghost" does not exist',
    })
    await expect(client.start([])).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify services for start action',
    })
    const post = (body: unknown) => client.request('POST', '/v1/services', { body })
    await expect(post({ action: 'replan', services: ['svc'] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'replan accepts no service names',
    })
    await expect(post({ action: 'jump', services: ['svc'] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'invalid action "jump"',
    })
  })

  it('answers autostart without enabled services 400 no-default-services', async () => {
    await client.addLayer('base', services({ svc: { command: 'sleep 1000' } }))
    await expect(client.autostart()).rejects.toMatchObject({
      statusCode: 400,
      message: 'no default services',
      kind: 'no-default-services',
    })
  })

  it('autostarts the enabled services', async () => {
    await client.addLayer(
      'base',
      services({
        on: { command: 'sleep 1000', startup: 'enabled' },
        off: { command: 'sleep 1000' },
      }),
    )
    const change = await client.autostartAndWait()
    expect(change).toMatchObject({ kind: 'autostart', summary: 'Autostart service "on"' })
    expect(await serviceState(client, 'on')).toBe('active')
    expect(await serviceState(client, 'off')).toBe('inactive')
  })

  it('replans to nothing as a Done change without tasks', async () => {
    const change = await client.replanAndWait()
    expect(change).toMatchObject({
      kind: 'replan',
      summary: 'Replan - no services',
      status: 'Done',
    })
    expect(change.tasks).toBeUndefined()
  })

  it('replan starts enabled services and restarts only those whose config changed', async () => {
    const changed = fileFor('changed')
    const same = fileFor('same')
    const layer = (value: string) =>
      services({
        changed: { command: recording(changed), startup: 'enabled', environment: { V: value } },
        same: { command: recording(same), startup: 'enabled' },
      })
    await client.addLayer('base', layer('1'))
    const first = await client.replanAndWait()
    expect(first.summary).toBe('Replan service "changed" and 1 more')
    await client.addLayer('base', layer('2'), { combine: true })
    const second = await client.replanAndWait()
    expect(second.tasks?.map((task) => `${task.kind} ${task.summary}`)).toEqual(
      expect.arrayContaining(['stop Stop service "changed"', 'start Start service "changed"']),
    )
    expect(lines(changed)).toEqual(['started', 'started'])
    expect(lines(same)).toEqual(['started'])
  })

  it('answers the wait endpoint 504 on timeout, and waitChange throws TimeoutError', async () => {
    await client.addLayer(
      'base',
      services({
        slow: {
          command: `sh -c 'trap "" TERM; while true; do sleep 0.1; done'`,
          'kill-delay': '3s',
        },
      }),
    )
    await client.startAndWait(['slow'])
    const id = await client.stop(['slow'])
    await expect(
      client.request('GET', `/v1/changes/${id}/wait`, { query: { timeout: '100ms' } }),
    ).rejects.toMatchObject({
      statusCode: 504,
      status: 'Gateway Timeout',
      message: 'timed out waiting for change after 100ms',
    })
    const error = await client.waitChange(id, { timeout: 0.3 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).changeId).toBe(id)
    expect((await client.waitChange(id)).status).toBe('Done')
  })

  it('answers 400 for a bad wait timeout and 404 for an unknown change', async () => {
    await expect(
      client.request('GET', '/v1/changes/1/wait', { query: { timeout: 'soon' } }),
    ).rejects.toMatchObject({ statusCode: 404 })
    await client.addLayer('base', services({ svc: { command: 'sleep 1000' } }))
    const id = await client.start(['svc'])
    await expect(
      client.request('GET', `/v1/changes/${id}/wait`, { query: { timeout: 'soon' } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^invalid timeout: /),
    })
    await expect(client.getChange('999')).rejects.toMatchObject({
      statusCode: 404,
      message: 'cannot find change with id "999"',
    })
    await expect(client.waitChange('999')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('fails the change of a service that exits within the 1 s okay delay, and backs off', async () => {
    await client.addLayer('base', services({ boom: { command: `sh -c 'echo boom; exit 1'` } }))
    const error = await client.startAndWait(['boom']).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ChangeError)
    const { err, change } = error as ChangeError
    expect(err).toBe(
      'cannot perform the following tasks:\n' +
        '- Start service "boom" (service start attempt: exited quickly with code 1, will restart)',
    )
    expect(change).toMatchObject({ status: 'Error', ready: true })
    const log = change.tasks?.[0]?.log ?? []
    expect(log.some((entry) => / INFO Most recent service output:\n {4}boom$/.test(entry))).toBe(
      true,
    )
    expect(log.at(-1)).toMatch(
      / ERROR service start attempt: exited quickly with code 1, will restart$/,
    )
    expect(await serviceState(client, 'boom')).toBe('backoff')
  })

  it('reports a service killed by a signal with exit code 128 + the signal', async () => {
    await client.addLayer('base', services({ killed: { command: `sh -c 'kill -9 $$'` } }))
    const error = (await client
      .startAndWait(['killed'])
      .catch((caught: unknown) => caught)) as ChangeError
    expect(error.err).toContain('service start attempt: exited quickly with code 137, will restart')
  })

  it('starts services that do not require each other in parallel lanes', async () => {
    await client.addLayer(
      'base',
      services({ bad: { command: `sh -c 'exit 1'` }, good: { command: 'sleep 1000' } }),
    )
    const id = await client.start(['bad', 'good'])
    const change = await client.waitChange(id)
    // One failing lane does not hold the other: good still starts.
    expect(change.tasks?.map((task) => `${task.summary} ${task.status}`)).toEqual([
      'Start service "bad" Error',
      'Start service "good" Done',
    ])
    expect(change.err).toBe(
      'cannot perform the following tasks:\n' +
        '- Start service "bad" (service start attempt: exited quickly with code 1, will restart)',
    )
    expect(await serviceState(client, 'good')).toBe('active')
  })

  it('does not tie services into one lane by after alone', async () => {
    await client.addLayer(
      'base',
      services({
        crash: { command: `sh -c 'exit 1'` },
        later: { command: 'sleep 1000', after: ['crash'] },
      }),
    )
    const change = await client.waitChange(await client.start(['crash', 'later']))
    expect(change.tasks?.map((task) => task.status)).toEqual(['Error', 'Done'])
  })

  it('holds the rest of a lane when a service its dependant requires fails', async () => {
    await client.addLayer(
      'base',
      services({
        db: { command: `sh -c 'exit 1'` },
        app: { command: 'sleep 1000', requires: ['db'], after: ['db'] },
      }),
    )
    const change = await client.waitChange(await client.start(['app']))
    expect(change.tasks?.map((task) => task.status)).toEqual(['Error', 'Hold'])
    expect(await serviceState(client, 'app')).toBe('inactive')
  })

  it('ends a quickly failing service with on-failure ignore in error, not backoff', async () => {
    await client.addLayer(
      'base',
      services({ once: { command: `sh -c 'exit 3'`, 'on-failure': 'ignore' } }),
    )
    const error = (await client
      .startAndWait(['once'])
      .catch((caught: unknown) => caught)) as ChangeError
    expect(error.err).toContain('exited quickly with code 3, will ignore')
    expect(await serviceState(client, 'once')).toBe('error')
  })

  it('fails at once for a command that is not on PATH', async () => {
    await client.addLayer('base', services({ missing: { command: 'no-such-command-here' } }))
    const error = (await client
      .startAndWait(['missing'])
      .catch((caught: unknown) => caught)) as ChangeError
    expect(error).toBeInstanceOf(ChangeError)
    expect(error.err).toContain('cannot start service: ')
    expect(error.err).toContain('no-such-command-here')
  })

  it('fails the start of a service whose user does not exist', async () => {
    // `_daemon_`, the user Juju's workload images run services as, does not exist here.
    await client.addLayer('base', services({ daemon: { command: 'sleep 1000', user: '_daemon_' } }))
    const error = (await client
      .startAndWait(['daemon'])
      .catch((caught: unknown) => caught)) as ChangeError
    expect(error.err).toBe(
      'cannot perform the following tasks:\n- Start service "daemon" (user: unknown user _daemon_)',
    )
  })

  it('backs off a service that dies after the okay delay and restarts it', async () => {
    const file = fileFor('backoff')
    await client.addLayer(
      'base',
      services({
        flaky: {
          command: `sh -c 'echo started >> ${file}; sleep 1.5; exit 3'`,
          'backoff-delay': '2s',
        },
      }),
    )
    await client.startAndWait(['flaky'])
    await untilService(client, 'flaky', 'backoff')
    await eventually(async () => (lines(file).length >= 2 ? true : undefined), 'a restart')
    expect(await client.stopAndWait(['flaky'])).toMatchObject({ status: 'Done' })
    expect(await serviceState(client, 'flaky')).toBe('inactive')
  })

  it('restarts a service whose on-check-failure check goes down', async () => {
    const file = fileFor('check-restart')
    await client.addLayer('base', {
      ...services({ svc: { command: recording(file), 'on-check-failure': { probe: 'restart' } } }),
      checks: {
        probe: { override: 'replace', period: '1h', threshold: 1, exec: { command: 'false' } },
      },
    })
    await client.startAndWait(['svc'])
    expect((await client.refreshCheck('probe')).error).toBe('exit status 1')
    await eventually(async () => (lines(file).length === 2 ? true : undefined), 'a restart')
    await untilService(client, 'svc', 'active')
  })

  it('lists changes by select, and by the services a change was asked for', async () => {
    await client.addLayer(
      'base',
      services({
        db: { command: 'sleep 1000' },
        app: { command: 'sleep 1000', requires: ['db'], after: ['db'] },
      }),
    )
    const db = await client.startAndWait(['db'])
    const app = await client.startAndWait(['app'])
    // Pebble keeps changes in a map: the list comes in no particular order.
    const ids = (list: { id: string }[]) =>
      list.map((change) => change.id).sort((x, y) => Number(x) - Number(y))
    expect(ids(await client.getChanges({ select: 'all' }))).toEqual([db.id, app.id])
    expect(ids(await client.getChanges({ select: 'ready' }))).toEqual([db.id, app.id])
    expect(await client.getChanges()).toEqual([])
    // `for` matches the requested names, not the dependencies a change also started.
    expect(ids(await client.getChanges({ select: 'all', service: 'db' }))).toEqual([db.id])
    expect(ids(await client.getChanges({ select: 'all', service: 'app' }))).toEqual([app.id])
    await expect(
      client.request('GET', '/v1/changes', { query: { select: 'some' } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'select should be one of: all,in-progress,ready',
    })
  })

  it('aborts a start in its okay delay: the process is killed, later tasks are held', async () => {
    await client.addLayer(
      'base',
      services({
        a: { command: 'sleep 1000' },
        b: { command: 'sleep 1000', requires: ['a'], after: ['a'] },
      }),
    )
    const id = await client.start(['b'])
    await eventually(async () => {
      const change = await client.getChange(id)
      return change.tasks?.[0]?.status === 'Doing' ? true : undefined
    }, 'the first start task to run')
    const aborted = await client.abortChange(id)
    expect(aborted).toMatchObject({ status: 'Abort', ready: false })
    expect(aborted.tasks?.map((task) => task.status)).toEqual(['Abort', 'Hold'])
    const change = await client.waitChange(id)
    expect(change.err).toBe(
      'cannot perform the following tasks:\n' +
        '- Start service "a" (start aborted, sent SIGKILL to process)',
    )
    expect(change.tasks?.map((task) => task.status)).toEqual(['Error', 'Hold'])
    expect((await client.getServices()).map((service) => service.current)).toEqual([
      'inactive',
      'inactive',
    ])
  })

  it('refuses to abort a finished change and an unknown one', async () => {
    await client.addLayer('base', services({ svc: { command: 'sleep 1000' } }))
    const change = await client.startAndWait(['svc'])
    await expect(client.abortChange(change.id)).rejects.toMatchObject({
      statusCode: 400,
      message: `cannot abort change ${change.id} with nothing pending`,
    })
    await expect(client.abortChange('999')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('sends a signal to the main process of a running service, not to its group', async () => {
    const file = fileFor('signal')
    const child = fileFor('signal-child')
    await client.addLayer(
      'base',
      services({
        hup: {
          command: `sh -c 'sh -c "trap \\"echo child >> ${child}\\" HUP; while true; do sleep 0.1; done" & trap "echo hup >> ${file}" HUP; while true; do sleep 0.1; done'`,
        },
      }),
    )
    await client.startAndWait(['hup'])
    await client.sendSignal('SIGHUP', ['hup'])
    await eventually(async () => (lines(file).length > 0 ? true : undefined), 'the HUP trap')
    expect(lines(file)).toEqual(['hup'])
    // A child's trap would have fired by now too, had the whole group been signalled.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(lines(child)).toEqual([])
    expect(await serviceState(client, 'hup')).toBe('active')
  })

  it('answers 500 with every failure for signals Pebble cannot send, 400 for no services', async () => {
    await client.addLayer('base', services({ svc: { command: 'sleep 1000' } }))
    await expect(client.sendSignal('SIGHUP', ['svc'])).rejects.toMatchObject({
      statusCode: 500,
      message: 'cannot send signal to "svc": service is not running',
    })
    await client.startAndWait(['svc'])
    await expect(client.sendSignal('SIGNOPE', ['svc', 'ghost'])).rejects.toMatchObject({
      statusCode: 500,
      message:
        'cannot send signal to "svc": invalid signal name "SIGNOPE"; ' +
        'cannot send signal to "ghost": service is not running',
    })
    await expect(client.sendSignal('hup', ['svc'])).rejects.toMatchObject({
      message: 'cannot send signal to "svc": invalid signal name "hup"',
    })
    await expect(client.sendSignal('SIGHUP', [])).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify one or more services',
    })
  })
})

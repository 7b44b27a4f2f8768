import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { APIError, ChangeError, type PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient

beforeEach(async () => {
  double = await startPebbleDouble({ okayDelayMs: 300 })
  client = double.client()
})
afterEach(async () => {
  await double.close()
})

const sleeper = (extra: Record<string, unknown> = {}) => ({
  override: 'replace' as const,
  command: 'sleep 1000',
  'kill-delay': '200ms',
  ...extra,
})

/** Whether a process with `pattern` in its command line exists (reads /proc). */
function processRunning(pattern: string): boolean {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(pattern)
      } catch {
        return false
      }
    })
}

async function currentOf(name: string): Promise<string | undefined> {
  return (await client.getServices([name]))[0]?.current
}

describe('services (§5)', () => {
  it('§5.1 lists plan services sorted by name, ignores unknown names, and omits current-since before a start', async () => {
    await client.addLayer('base', {
      services: { b: sleeper(), a: sleeper({ startup: 'enabled' }) },
    })
    expect(await client.getServices()).toEqual([
      { name: 'a', startup: 'enabled', current: 'inactive' },
      { name: 'b', startup: 'disabled', current: 'inactive' },
    ])
    expect(await client.getServices(['b', 'nope'])).toEqual([
      { name: 'b', startup: 'disabled', current: 'inactive' },
    ])
  })

  it('§3.1 adding a layer does not start services; §5.2 start runs the real process and makes it active', async () => {
    await client.addLayer('base', { services: { svc: sleeper({ startup: 'enabled' }) } })
    expect(await currentOf('svc')).toBe('inactive')
    const change = await client.startAndWait(['svc'])
    expect(change).toMatchObject({
      kind: 'start',
      summary: 'Start service "svc"',
      status: 'Done',
      ready: true,
    })
    expect(change.tasks?.[0]).toMatchObject({
      kind: 'start',
      summary: 'Start service "svc"',
      status: 'Done',
    })
    const [info] = await client.getServices(['svc'])
    expect(info?.current).toBe('active')
    expect(info?.['current-since']).toEqual(expect.any(String))
  })

  it('§5.2 starting a running service is a Done task with an "already started" log', async () => {
    await client.addLayer('base', { services: { svc: sleeper() } })
    await client.startAndWait(['svc'])
    const change = await client.startAndWait(['svc'])
    expect(change.tasks?.[0]?.log?.[0]).toMatch(/ INFO Service "svc" already started\.$/)
  })

  it('§5.2 stop sends SIGTERM to the process group and the service becomes inactive', async () => {
    await client.addLayer('base', { services: { svc: sleeper() } })
    await client.startAndWait(['svc'])
    const change = await client.stopAndWait(['svc'])
    expect(change).toMatchObject({ kind: 'stop', summary: 'Stop service "svc"', status: 'Done' })
    expect(await currentOf('svc')).toBe('inactive')
  })

  it('§5.2 stop signals the whole process group, so children of the service go too', async () => {
    const marker = `sleep ${2_000_000 + Math.floor(Math.random() * 1_000_000)}`
    await client.addLayer('base', {
      services: { tree: sleeper({ command: `sh -c "${marker} & wait"` }) },
    })
    await client.startAndWait(['tree'])
    expect(processRunning(marker)).toBe(true)
    await client.stopAndWait(['tree'])
    await expect.poll(() => processRunning(marker)).toBe(false)
  })

  it('§5.2 a process that ignores SIGTERM is killed with SIGKILL after kill-delay', async () => {
    const command = `sh -c "trap '' TERM; echo ready; while true; do sleep 0.05; done"`
    await client.addLayer('base', {
      services: { stubborn: { override: 'replace', command, 'kill-delay': '300ms' } },
    })
    await client.startAndWait(['stubborn'])
    const started = Date.now()
    await client.stopAndWait(['stubborn'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    expect(await currentOf('stubborn')).toBe('inactive')
  })

  it('§5.2 restart stops then starts the named service in one change', async () => {
    await client.addLayer('base', { services: { svc: sleeper() } })
    await client.startAndWait(['svc'])
    const change = await client.restartAndWait(['svc'])
    expect(change.kind).toBe('restart')
    expect(change.tasks?.map((task) => [task.kind, task.status])).toEqual([
      ['stop', 'Done'],
      ['start', 'Done'],
    ])
    expect(await currentOf('svc')).toBe('active')
  })

  it('§5.2 start pulls in requires dependencies, ordered by after', async () => {
    await client.addLayer('base', {
      services: {
        db: sleeper(),
        app: sleeper({ requires: ['db'], after: ['db'] }),
      },
    })
    const change = await client.startAndWait(['app'])
    expect(change.tasks?.map((task) => task.summary)).toEqual([
      'Start service "db"',
      'Start service "app"',
    ])
    const stop = await client.stopAndWait(['db'])
    expect(stop.tasks?.map((task) => task.summary)).toEqual([
      'Stop service "app"',
      'Stop service "db"',
    ])
  })

  it('§5.2 summarises many services as "and N more"', async () => {
    await client.addLayer('base', { services: { a: sleeper(), b: sleeper(), c: sleeper() } })
    const change = await client.startAndWait(['a', 'b', 'c'])
    expect(change.summary).toBe('Start service "a" and 2 more')
  })

  it('§5.2 rejects an empty list, names for replan, an unknown action and an unknown service with 400', async () => {
    await client.addLayer('base', { services: { svc: sleeper() } })
    const post = (body: unknown) => client.request('POST', '/v1/services', { body })
    await expect(post({ action: 'start', services: [] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify services for start action',
    })
    await expect(post({ action: 'replan', services: ['svc'] })).rejects.toMatchObject({
      message: 'replan accepts no service names',
    })
    await expect(post({ action: 'bounce', services: ['svc'] })).rejects.toMatchObject({
      message: 'invalid action "bounce"',
    })
    await expect(post({ action: 'bounce', services: [] })).rejects.toMatchObject({
      message: 'must specify services for bounce action',
    })
    const error = await client.start(['nope']).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(APIError)
    expect(error).toMatchObject({
      statusCode: 400,
      message: 'cannot start services: service "nope" does not exist',
      kind: undefined,
    })
  })

  it('§5.2 autostart with no enabled services is 400 with kind no-default-services', async () => {
    await client.addLayer('base', { services: { svc: sleeper() } })
    await expect(client.autostart()).rejects.toMatchObject({
      statusCode: 400,
      kind: 'no-default-services',
      message: 'no default services',
    })
  })

  it('§5.2 autostart starts the startup: enabled services only', async () => {
    await client.addLayer('base', {
      services: { on: sleeper({ startup: 'enabled' }), off: sleeper() },
    })
    const change = await client.autostartAndWait()
    expect(change).toMatchObject({ kind: 'autostart', summary: 'Autostart service "on"' })
    expect(await client.getServices()).toMatchObject([
      { name: 'off', current: 'inactive' },
      { name: 'on', current: 'active' },
    ])
  })

  it('§5.2 replan with nothing to do is an already-Done change "Replan - no services" without tasks', async () => {
    const id = await client.replan()
    const change = await client.getChange(id)
    expect(change).toMatchObject({
      kind: 'replan',
      summary: 'Replan - no services',
      status: 'Done',
      ready: true,
    })
    expect(change.tasks).toBeUndefined()
  })

  it('§5.2 replan restarts only services whose config changed', async () => {
    await client.addLayer('base', {
      services: { keep: sleeper({ startup: 'enabled' }), edit: sleeper({ startup: 'enabled' }) },
    })
    await client.replanAndWait()
    const sinceKeep = (await client.getServices(['keep']))[0]?.['current-since']
    await client.addLayer(
      'base',
      { services: { edit: { override: 'merge', environment: { V: '2' } } } },
      { combine: true },
    )
    const change = await client.replanAndWait()
    expect(
      change.tasks?.map((task) => [
        task.summary,
        task.log?.some((line) => line.includes('already started')) ?? false,
      ]),
    ).toEqual([
      ['Stop service "edit"', false],
      ['Start service "edit"', false],
      ['Start service "keep"', true],
    ])
    expect((await client.getServices(['keep']))[0]?.['current-since']).toBe(sinceKeep)
  })

  it("§5.3 a service that exits within the okay delay fails the change with Pebble's err and goes to backoff", async () => {
    await client.addLayer('base', {
      services: {
        crash: {
          override: 'replace',
          command: 'sh -c "echo boom; exit 1"',
          'backoff-delay': '10s',
        },
      },
    })
    const error = await client.startAndWait(['crash']).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ChangeError)
    const { change, err } = error as ChangeError
    expect(err).toBe(
      'cannot perform the following tasks:\n- Start service "crash" (service start attempt: exited quickly with code 1, will restart)',
    )
    expect(change.status).toBe('Error')
    expect(change.tasks?.[0]?.log).toEqual([
      expect.stringMatching(/ INFO Most recent service output:\n {4}boom$/),
      expect.stringMatching(
        / ERROR service start attempt: exited quickly with code 1, will restart$/,
      ),
    ])
    expect(await currentOf('crash')).toBe('backoff')
  })

  it('§5.3 with on-failure: ignore the action is named in err and the service ends in error', async () => {
    await client.addLayer('base', {
      services: {
        crash: { override: 'replace', command: 'sh -c "exit 3"', 'on-failure': 'ignore' },
      },
    })
    await expect(client.startAndWait(['crash'])).rejects.toMatchObject({
      err: expect.stringContaining('exited quickly with code 3, will ignore'),
    })
    expect(await currentOf('crash')).toBe('error')
  })

  it('§5.3 backoff restarts the process after backoff-delay', async () => {
    await client.addLayer('base', {
      services: {
        flaky: {
          override: 'replace',
          command: 'sh -c "exit 1"',
          'backoff-delay': '50ms',
          'backoff-limit': '100ms',
        },
      },
    })
    await client.startAndWait(['flaky']).catch(() => undefined)
    // Each restart exits again at once, so the service keeps cycling through backoff; stopping
    // it from backoff must leave it inactive.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(['backoff', 'active']).toContain(await currentOf('flaky'))
    await client.stopAndWait(['flaky'])
    expect(await currentOf('flaky')).toBe('inactive')
  })

  it('§5.3 a start with a missing executable fails at once with cannot start service', async () => {
    await client.addLayer('base', {
      services: { ghost: { override: 'replace', command: 'no-such-binary-here --flag' } },
    })
    await expect(client.startAndWait(['ghost'])).rejects.toMatchObject({
      err: 'cannot perform the following tasks:\n- Start service "ghost" (cannot start service: exec: "no-such-binary-here": executable file not found in $PATH)',
    })
  })

  it('§5.3 stopping a service inside its okay delay fails the start task', async () => {
    const slow = await startPebbleDouble({ okayDelayMs: 2000 })
    try {
      const slowClient = slow.client()
      await slowClient.addLayer('base', { services: { svc: sleeper() } })
      const startId = await slowClient.start(['svc'])
      await new Promise((resolve) => setTimeout(resolve, 100))
      await slowClient.stopAndWait(['svc'])
      const start = await slowClient.waitChange(startId)
      expect(start.err).toContain('service start attempt: stopped before the 1s okay delay')
    } finally {
      await slow.close()
    }
  })

  it('§3.2 runs the command with its environment, working dir and shell-like words, not through a shell', async () => {
    const out = join(double.root, 'out.txt')
    const command = `sh -c 'echo "$GREETING|$(pwd)|$0" > ${out}; sleep 1000' "[not a glob]"`
    await client.addLayer('base', {
      services: {
        env: {
          override: 'replace',
          command,
          environment: { GREETING: 'hi there' },
          'working-dir': double.root,
        },
      },
    })
    await client.startAndWait(['env'])
    await expect.poll(() => readFile(out, 'utf8').catch(() => ''), { timeout: 2000 }).not.toBe('')
    expect((await readFile(out, 'utf8')).trim()).toBe(`hi there|${double.root}|[not a glob]`)
  })

  it('§3.2 runs the service as the configured user when the daemon is root', async ({ skip }) => {
    if (process.getuid?.() !== 0) skip('needs root to switch user')
    // The double's own temp dir is private to root, so the unprivileged user writes elsewhere.
    const shared = await mkdtemp(join(tmpdir(), 'pebble-user-'))
    await chmod(shared, 0o777)
    const out = join(shared, 'id.txt')
    await client.addLayer('base', {
      services: {
        who: {
          override: 'replace',
          command: `sh -c 'id -u > ${out}; echo $USER >> ${out}; sleep 1000'`,
          user: 'nobody',
        },
      },
    })
    await client.startAndWait(['who'])
    await expect.poll(() => readFile(out, 'utf8').catch(() => ''), { timeout: 2000 }).toMatch(/\n$/)
    const [uid, user] = (await readFile(out, 'utf8')).trim().split('\n')
    await rm(shared, { recursive: true, force: true })
    expect(user).toBe('nobody')
    expect(Number(uid)).toBeGreaterThan(0)
  })

  it('§11 sendSignal delivers to a running service and is a 500 for one that is not running', async () => {
    const out = join(double.root, 'hup.txt')
    await client.addLayer('base', {
      services: {
        hup: {
          override: 'replace',
          command: `sh -c "trap 'echo got > ${out}' HUP; while true; do sleep 0.05; done"`,
        },
      },
    })
    await client.startAndWait(['hup'])
    await expect(client.sendSignal('SIGNOPE', ['hup'])).rejects.toMatchObject({
      statusCode: 500,
      message: 'cannot send signal to "hup": invalid signal name "SIGNOPE"',
    })
    await client.sendSignal('SIGHUP', ['hup'])
    await expect.poll(() => readFile(out, 'utf8').catch(() => ''), { timeout: 2000 }).toBe('got\n')
    await client.stopAndWait(['hup'])
    await expect(client.sendSignal('SIGHUP', ['hup'])).rejects.toMatchObject({ statusCode: 500 })
  })

  it('§5.3 a service whose background child keeps its output open still counts as exited', async () => {
    await client.addLayer('base', {
      services: {
        parent: {
          override: 'replace',
          command: 'sh -c "sleep 1000 & echo leaving; exit 4"',
          'on-failure': 'ignore',
        },
      },
    })
    await expect(client.startAndWait(['parent'])).rejects.toMatchObject({
      err: expect.stringContaining('exited quickly with code 4, will ignore'),
    })
    expect(await currentOf('parent')).toBe('error')
  })

  it('§5.3 an automatic restart from backoff keeps the config the service was started with', async () => {
    await client.addLayer('base', {
      services: {
        flaky: {
          override: 'replace',
          command: 'sh -c "sleep 0.8; exit 1"',
          'backoff-delay': '400ms',
        },
      },
    })
    await client.startAndWait(['flaky'])
    await client.addLayer(
      'base',
      { services: { flaky: { override: 'merge', environment: { V: '2' } } } },
      { combine: true },
    )
    await expect.poll(() => currentOf('flaky'), { timeout: 3000 }).toBe('backoff')
    await expect.poll(() => currentOf('flaky'), { timeout: 3000 }).toBe('active')
    // Replan still sees the new config as a change and restarts the service.
    const replan = await client.replanAndWait()
    expect(replan.tasks?.map((task) => task.kind)).toEqual(['stop', 'start'])
  })
})

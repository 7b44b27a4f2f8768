import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { InspectionEvent } from 'xstate'
import { describe, expect, it } from 'vitest'
import { juju, readyFacts } from './__fixtures__/facts.js'
import { runCli } from './cli.js'
import {
  FileStore,
  charmMachine,
  inspectLog,
  openUnit,
  provideEffects,
  replayLog,
  toInspectionRecord,
} from './index.js'

async function recordedLog(): Promise<{ directory: string; store: FileStore }> {
  const directory = join(mkdtempSync(join(tmpdir(), 'charm-cli-')), '.charm-machine')
  const store = new FileStore({ directory })
  const machine = provideEffects(charmMachine, {
    validateConfig: async () => ({ errors: [] }),
    runMigrations: async () => Promise.reject(new Error('locked')),
    restartWorkload: async () => undefined,
  })
  await (
    await openUnit({ machine, store })
  ).dispatch(juju('juju.install', {}, readyFacts({ containers: { web: { reachable: false } } })))
  await (await openUnit({ machine, store })).dispatch(juju('juju.config-changed'))
  return { directory, store }
}

async function cli(...args: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  })
  return { code, stdout, stderr }
}

describe('charm-machine CLI', () => {
  it('prints the Mermaid diagram', async () => {
    const result = await cli('diagram')
    expect(result.code).toBe(0)
    expect(result.stdout.startsWith('stateDiagram-v2\n')).toBe(true)
  })

  it('replays a recorded log: event, from-state, to-state and effects per step', async () => {
    const { directory } = await recordedLog()
    const result = await cli('replay', directory)
    expect(result.code).toBe(0)
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
    expect(
      lines.slice(0, 3).map(([seq, , event, path, effects]) => [seq, event, path, effects]),
    ).toEqual([
      ['1', 'juju.install', 'idle -> waitingPebble', '-'],
      [
        '2',
        'juju.config-changed',
        'waitingPebble -> reconciling.validatingConfig',
        'validateConfig',
      ],
      [
        '3',
        'xstate.done.actor.validateConfig',
        'reconciling.validatingConfig -> reconciling.migrating',
        'runMigrations',
      ],
    ])
    expect(lines.at(-1)).toEqual([
      'final',
      '{"lifecycle":"migrationFailed","tasks":"idle"}',
      'blocked: migration failed: locked, will retry in next update-status',
    ])
  })

  it('fails with the file and line of a corrupt entry', async () => {
    const { directory } = await recordedLog()
    appendFileSync(join(directory, 'log.jsonl'), '{"seq": 9}\n')
    const result = await cli('replay', join(directory, 'log.jsonl'))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^charm-machine: .*log\.jsonl:5: at: Invalid key: [^\n]*\n$/)
  })

  it('fails with one line on a missing file', async () => {
    const result = await cli('replay', '/nonexistent/log.jsonl')
    expect(result).toMatchObject({
      code: 1,
      stderr: 'charm-machine: cannot read /nonexistent/log.jsonl: ENOENT\n',
    })
  })

  it.each([
    [['frobnicate'], 'charm-machine: unknown command "frobnicate" (try --help)\n'],
    [['replay'], 'charm-machine: replay needs a log file\n'],
    [['inspect', 'x', '--out'], 'charm-machine: cannot read x: ENOENT\n'],
  ])('exits non-zero with one line on bad usage %j', async (args, message) => {
    const result = await cli(...args)
    expect(result.code).toBeGreaterThan(0)
    expect(result.stderr).toBe(message)
  })

  it('writes the inspection events of a replay to a file offline', async () => {
    const { directory } = await recordedLog()
    const out = join(directory, 'inspection.jsonl')
    const result = await cli('inspect', directory, '--out', out)
    expect(result.code).toBe(0)
    const events = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; event?: { type: string } })
    expect(events[0]?.type).toBe('@xstate.actor')
    const sent = events.filter(
      (event) => event.type === '@xstate.event' && event.event?.type !== 'xstate.init',
    )
    expect(sent.map((event) => event.event?.type).slice(0, 2)).toEqual([
      'juju.install',
      'juju.config-changed',
    ])
    expect(result.stdout).toMatch(/^wrote \d+ inspection events for 4 log entries to /)
  })
})

interface RelayServer {
  address(): { port: number }
  on(event: 'connection', listener: (socket: RelaySocket) => void): void
  close(callback?: () => void): void
}
interface RelaySocket {
  on(event: 'message', listener: (data: Buffer) => void): void
  on(event: 'close', listener: () => void): void
}

/** A local relay standing in for @statelyai/inspect's server (its viewer is online only). */
async function relay(): Promise<{ url: string; received: Promise<string[]>; close: () => void }> {
  const { WebSocketServer } = createRequire(import.meta.url)('ws') as {
    WebSocketServer: new (options: { host: string; port: number }) => RelayServer
  }
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => setTimeout(resolve, 50))
  // The CLI first probes the relay with a bare handshake; the inspector's own connection follows.
  const received = new Promise<string[]>((resolve) => {
    server.on('connection', (socket) => {
      const messages: string[] = []
      socket.on('message', (data) => messages.push(data.toString()))
      socket.on('close', () => {
        if (messages.length > 0) resolve(messages)
      })
    })
  })
  return { url: `ws://127.0.0.1:${server.address().port}`, received, close: () => server.close() }
}

describe('charm-machine inspect --ws', () => {
  it('sends the inspection events to a WebSocket inspector and ends', async () => {
    const { directory } = await recordedLog()
    const server = await relay()
    const result = await cli('inspect', directory, '--ws', server.url)
    const messages = (await server.received).map(
      (text) => JSON.parse(text) as { type: string; event?: { type: string } },
    )
    server.close()
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      new RegExp(`^sent \\d+ inspection events for 4 log entries to ${server.url}\\n$`),
    )
    expect(messages[0]?.type).toBe('@xstate.actor')
    expect(
      messages
        .filter((message) => message.type === '@xstate.event')
        .map((message) => message.event?.type),
    ).toContain('juju.config-changed')
  })

  it('fails with one line when nothing answers at the URL', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()))
    const url = `ws://127.0.0.1:${(probe.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const { directory } = await recordedLog()
    const result = await cli('inspect', directory, '--ws', url)
    expect(result).toMatchObject({
      code: 1,
      stderr: `charm-machine: no WebSocket inspector answers at ${url}\n`,
    })
  })
})

describe('inspectLog', () => {
  it('shows every logged event to the inspector, in order, and ends where replay ends', async () => {
    const { store } = await recordedLog()
    const { entries } = await store.readLog()
    const seen: InspectionEvent[] = []
    const final = inspectLog(charmMachine, entries, (event) => seen.push(event))
    const received = seen
      .filter(
        (event) =>
          event.type === '@xstate.event' &&
          event.event.type !== 'xstate.init' &&
          !event.event.type.startsWith('xstate.done.actor.0'),
      )
      .map((event) => toInspectionRecord(event).event as { type: string })
      .map((event) => event.type)
    expect(received).toEqual(entries.map((entry) => entry.event.type))
    expect(final.value).toEqual(replayLog(charmMachine, entries).snapshot.value)
  })

  it('reports each transition as a snapshot with its state value', async () => {
    const { store } = await recordedLog()
    const { entries } = await store.readLog()
    const values: unknown[] = []
    inspectLog(charmMachine, entries, (event) => {
      if (event.type === '@xstate.snapshot' && event.actorRef.sessionId === event.rootId)
        values.push(toInspectionRecord(event).value)
    })
    expect(values).toContainEqual({ lifecycle: 'waitingPebble', tasks: 'idle' })
    expect(values.at(-1)).toEqual({ lifecycle: 'migrationFailed', tasks: 'idle' })
  })
})

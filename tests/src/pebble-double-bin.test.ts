// The `pebble-double` bin as a new user meets it: start it on a socket, talk plain HTTP to it,
// post a layer, see a real process start, stop it with SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
// The committed shim npm links as `pebble-double`; it loads the tsc build.
const binPath = join(repoRoot, 'packages/pebble-client/bin/pebble-double.js')

let dir: string
let socketPath: string
let child: ChildProcess | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebble-bin-'))
  socketPath = join(dir, 'p.sock')
})
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child?.once('exit', done))
    child.kill('SIGKILL')
    await exited
  }
  child = undefined
  rmSync(dir, { recursive: true, force: true })
})

/** One HTTP exchange over the unix socket, like `curl --unix-socket`. */
function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    const outgoing = request(
      { socketPath, method, path, headers: { 'Content-Type': 'application/json' } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          done({
            status: response.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
          }),
        )
      },
    )
    outgoing.on('error', fail)
    outgoing.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

async function startBin(...args: string[]): Promise<ChildProcess> {
  const started = spawn(process.execPath, [binPath, '--socket', socketPath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  child = started
  const deadline = Date.now() + 10_000
  // The socket file exists from bind() on, a moment before the daemon accepts on it: wait for a
  // connection that succeeds, not for the file.
  while (!(await accepts(socketPath))) {
    if (started.exitCode !== null) throw new Error(`pebble-double exited with ${started.exitCode}`)
    if (Date.now() > deadline) throw new Error('pebble-double did not listen on its socket')
    await new Promise((wait) => setTimeout(wait, 20))
  }
  return started
}

function accepts(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false)
  return new Promise((done) => {
    const probe = connect(path)
    probe.once('connect', () => {
      probe.destroy()
      done(true)
    })
    probe.once('error', () => done(false))
  })
}

function exitOf(process: ChildProcess): Promise<number | null> {
  return new Promise((done) =>
    process.exitCode !== null ? done(process.exitCode) : process.once('exit', (code) => done(code)),
  )
}

/** Whether any process has `pattern` in its command line (reads /proc, like `pgrep -f`). */
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

describe('pebble-double bin', () => {
  it('answers system-info over its socket with the sync envelope', async () => {
    await startBin()
    const { status, json } = await call('GET', '/v1/system-info')
    expect(status).toBe(200)
    expect(json).toMatchObject({
      type: 'sync',
      'status-code': 200,
      status: 'OK',
      result: { version: 'v1.32.1' },
    })
  })

  it('runs a real process from a layer posted as plain JSON, and stops it on SIGTERM', async () => {
    const bin = await startBin('--okay-delay', '100')
    const marker = `sleep 1${Math.floor(Math.random() * 1e6)}`
    const layer = `services:\n  demo:\n    override: replace\n    command: ${marker}\n    kill-delay: 200ms\n`
    expect(
      (await call('POST', '/v1/layers', { action: 'add', label: 'demo', format: 'yaml', layer }))
        .json['result'],
    ).toBe(true)
    const started = await call('POST', '/v1/services', { action: 'start', services: ['demo'] })
    expect(started.status).toBe(202)
    const change = await call(
      'GET',
      `/v1/changes/${String(started.json['change'])}/wait?timeout=10s`,
    )
    expect(change.json['result']).toMatchObject({ status: 'Done' })
    expect(processRunning(marker)).toBe(true)

    bin.kill('SIGTERM')
    expect(await exitOf(bin)).toBe(0)
    expect(processRunning(marker)).toBe(false)
    expect(existsSync(socketPath)).toBe(false)
  })

  it('exits on SIGTERM even while a client long-polls a change', async () => {
    const bin = await startBin()
    // An exec whose websockets never connect stays pending for 5 s: something to wait on.
    const pending = await call('POST', '/v1/exec', { command: ['true'] })
    const change = String(pending.json['change'])
    const waiting = call('GET', `/v1/changes/${change}/wait?timeout=1h`).catch(() => 'closed')
    await new Promise((wait) => setTimeout(wait, 100))
    bin.kill('SIGTERM')
    const hung = new Promise((done) => setTimeout(() => done('still running'), 20_000).unref())
    expect(await Promise.race([exitOf(bin), hung])).toBe(0)
    expect(await waiting).toBe('closed')
  })

  it('exits 2 with a one-line message for bad arguments', () => {
    const missing = spawnSync(process.execPath, [binPath], { encoding: 'utf8' })
    expect(missing.status).toBe(2)
    expect(missing.stderr.split('\n')[0]).toBe('pebble-double: --socket is required')
    const unknown = spawnSync(process.execPath, [binPath, '--socket', socketPath, '--bogus'], {
      encoding: 'utf8',
    })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/^pebble-double: Unknown option '--bogus'/)
    const delay = spawnSync(
      process.execPath,
      [binPath, '--socket', socketPath, '--okay-delay', 'soon'],
      { encoding: 'utf8' },
    )
    expect(delay.status).toBe(2)
  })

  it('exits 1 when another daemon already serves the socket', async () => {
    await startBin()
    const second = spawnSync(process.execPath, [binPath, '--socket', socketPath], {
      encoding: 'utf8',
      timeout: 10_000,
    })
    expect(second.status).toBe(1)
    expect(second.stderr).toContain('is in use by another daemon')
    expect((await call('GET', '/v1/system-info')).status).toBe(200)
  })
})

/**
 * Real Pebble (the provisioned v1.32.1) for tests: `pebble run --create-dirs` in a fresh temp
 * dir, as a non-root user would run it, and a clean stop. Pebble starts each service and exec in
 * a process group of its own, so a stop that only killed the daemon would orphan them: `close()`
 * has Pebble stop them (SIGTERM), waits, and on timeout SIGKILLs the process group of every
 * child before the daemon itself.
 *
 * Pebble runs under a small `sh` that holds a pipe from this process: closing the pipe, or this
 * process dying (a crashed or killed test worker), makes it SIGTERM Pebble, so no daemon or
 * service outlives the test run. Pebble logs to a file, not to a pipe whose reader may be gone:
 * a Go program writing to a broken pipe dies of SIGPIPE and leaves its services behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { PebbleClient } from '@webhook-router/pebble-client'
import { toolPaths } from '../tools/provision.mjs'

/** Options of {@link startRealPebble}. */
export interface RealPebbleOptions {
  /** Variables added to the daemon's environment, which services and execs inherit. */
  environment?: Readonly<Record<string, string>>
  /** Serve on this socket (`PEBBLE_SOCKET`) instead of `$PEBBLE/.pebble.socket`. */
  socketPath?: string
  /** How long to wait for the socket to answer (default 20 s). */
  startTimeoutMs?: number
  /** How long SIGTERM may take before everything is SIGKILLed (default 15 s; Pebble needs ~10). */
  stopTimeoutMs?: number
}

/** A running `pebble run`. Always `close()` it. */
export interface RealPebble {
  /** `$PEBBLE`, a fresh directory under /tmp (socket paths are limited to ~108 bytes). */
  dir: string
  socketPath: string
  /** The daemon's pid. */
  pid: number
  client(): PebbleClient
  /** What the daemon logged so far, for failure messages. */
  output(): string
  /** SIGTERM, wait, then SIGKILL every process group left; removes `dir`. */
  close(): Promise<void>
}

// Starts Pebble in the background, prints its pid, then waits for stdin to close and stops it.
const SUPERVISOR = [
  '"$0" run --create-dirs >"$PEBBLE/pebble.log" 2>&1 &',
  'pid=$!',
  'echo "$pid"',
  'cat >/dev/null',
  'kill -TERM "$pid" 2>/dev/null',
  'wait "$pid"',
].join('\n')

/**
 * Starts real Pebble and resolves once its socket answers `GET /v1/system-info`.
 *
 * @example
 * const pebble = await startRealPebble()
 * await pebble.client().addLayer('base', layer)
 * await pebble.close()
 */
export async function startRealPebble(options: RealPebbleOptions = {}): Promise<RealPebble> {
  const dir = mkdtempSync('/tmp/pebble-')
  const socketPath = options.socketPath ?? join(dir, '.pebble.socket')
  const supervisor = spawn('/bin/sh', ['-c', SUPERVISOR, toolPaths().pebble], {
    env: {
      ...process.env,
      ...options.environment,
      PEBBLE: dir,
      ...(options.socketPath ? { PEBBLE_SOCKET: options.socketPath } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  })
  const exited = new Promise<void>((resolve) => supervisor.once('exit', () => resolve()))
  const output = () => {
    try {
      return readFileSync(join(dir, 'pebble.log'), 'utf8')
    } catch {
      return ''
    }
  }
  let pid = 0
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= stop(supervisor, pid, exited, options.stopTimeoutMs ?? 15_000).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    ))
  const client = () => new PebbleClient({ socketPath })
  try {
    pid = await firstLine(supervisor).then(Number)
    await waitForSocket(client(), supervisor, options.startTimeoutMs ?? 20_000, output)
  } catch (error) {
    await close()
    throw error
  }
  return { dir, socketPath, pid, client, output, close }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (text.includes('\n')) resolve(text.split('\n')[0] ?? '')
    })
    child.once('exit', (code) => reject(new Error(`pebble supervisor exited (${code})`)))
  })
}

async function waitForSocket(
  client: PebbleClient,
  supervisor: ChildProcess,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (supervisor.exitCode !== null || supervisor.signalCode !== null) {
      throw new Error(`pebble run exited:\n${log()}`)
    }
    if (await client.canConnect()) return
    if (Date.now() > deadline) throw new Error(`pebble run did not answer in time:\n${log()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function stop(
  supervisor: ChildProcess,
  pid: number,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  if (supervisor.exitCode !== null || supervisor.signalCode !== null) return
  supervisor.stdin?.end() // the supervisor SIGTERMs Pebble and waits for it
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
  ])
  if (!timedOut) return
  if (pid > 0) {
    for (const group of childProcessGroups(pid)) killGroup(group)
    killProcess(pid)
  }
  supervisor.kill('SIGKILL')
  await exited
}

/** Process groups of the daemon's direct children (its services and execs), from /proc. */
export function childProcessGroups(pid: number): number[] {
  const groups = new Set<number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(entry)
    // Fields after "(comm)": state ppid pgrp ...
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields && Number(fields[1]) === pid) groups.add(Number(fields[2]))
  }
  groups.delete(pid)
  return [...groups]
}

function readStat(pid: string): string | undefined {
  const file = `/proc/${pid}/stat`
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined
  } catch {
    return undefined // the process ended between readdir and read
  }
}

function killGroup(group: number): void {
  killProcess(-group)
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/**
 * Real Pebble (the provisioned v1.32.1) for tests: `pebble run --create-dirs` in a fresh temp
 * dir, as a non-root user would run it, and a clean stop. Pebble starts each service and exec in
 * a process group of its own, so a stop that only killed the daemon would orphan them: `close()`
 * sends SIGTERM (Pebble then stops its services), waits, and on timeout SIGKILLs the process
 * group of every child before the daemon itself.
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
  pid: number
  client(): PebbleClient
  /** What the daemon logged so far (stdout and stderr), for failure messages. */
  output(): string
  /** SIGTERM, wait, then SIGKILL every process group left; removes `dir`. */
  close(): Promise<void>
}

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
  const child = spawn(toolPaths().pebble, ['run', '--create-dirs'], {
    env: {
      ...process.env,
      ...options.environment,
      PEBBLE: dir,
      ...(options.socketPath ? { PEBBLE_SOCKET: options.socketPath } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  const append = (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-20_000))
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid
  if (pid === undefined) throw new Error('pebble run did not start')

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= stop(child, pid, exited, options.stopTimeoutMs ?? 15_000).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    ))
  const client = () => new PebbleClient({ socketPath })
  try {
    await waitForSocket(client(), child, options.startTimeoutMs ?? 20_000, () => log)
  } catch (error) {
    await close()
    throw error
  }
  return { dir, socketPath, pid, client, output: () => log, close }
}

async function waitForSocket(
  client: PebbleClient,
  child: ChildProcess,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`pebble run exited (${child.exitCode ?? child.signalCode}):\n${log()}`)
    }
    if (await client.canConnect()) return
    if (Date.now() > deadline) throw new Error(`pebble run did not answer in time:\n${log()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function stop(
  child: ChildProcess,
  pid: number,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
  ])
  if (!timedOut) return
  for (const group of childProcessGroups(pid)) killGroup(group)
  child.kill('SIGKILL')
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
  try {
    process.kill(-group, 'SIGKILL')
  } catch {
    // already gone
  }
}

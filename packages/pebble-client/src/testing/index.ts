/**
 * `@webhook-router/pebble-client/testing`: a Pebble double that serves the real HTTP API on a
 * unix socket and really runs services, checks and execs (contract §1–§9).
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PebbleClient } from '../client.js'
import { Daemon, type DaemonOptions } from './daemon.js'
import { FilesApi } from './files.js'
import { createDoubleServer } from './server.js'

/** Options of {@link startPebbleDouble}. Every timing defaults to Pebble's. */
export interface PebbleDoubleOptions extends DaemonOptions {
  /** Where to listen (default `<temp dir>/pebble.socket`). */
  socketPath?: string
  /**
   * Directory standing in for the container filesystem of the files API (default: a fresh
   * temp dir). Services and execs run on the host filesystem.
   */
  root?: string
}

/** Why a double stopped by itself: a service or check `shutdown` action (§5.3). */
export interface DoubleExit {
  exitCode: number
  reason: string
}

/** A running double. Always `close()` it (e.g. in `afterEach`). */
export interface PebbleDouble {
  socketPath: string
  root: string
  /** A client connected to this double. */
  client(): PebbleClient
  /** Resolves when a `shutdown` action stops the daemon, as the real one would exit. */
  exited: Promise<DoubleExit>
  /** Stops every service (SIGTERM, SIGKILL after kill-delay), kills execs, removes the socket. */
  close(): Promise<void>
}

/**
 * Starts a Pebble double.
 *
 * @example
 * const pebble = await startPebbleDouble({ okayDelayMs: 100 })
 * const client = new PebbleClient({ socketPath: pebble.socketPath })
 * // ... exercise the charm ...
 * await pebble.close()
 */
export async function startPebbleDouble(options: PebbleDoubleOptions = {}): Promise<PebbleDouble> {
  const tempDir =
    options.socketPath && options.root ? undefined : await mkdtemp(join(tmpdir(), 'pebble-double-'))
  const socketPath = options.socketPath ?? join(tempDir ?? '', 'pebble.socket')
  const root = options.root ?? join(tempDir ?? '', 'root')
  await mkdir(root, { recursive: true })
  await removeStaleSocket(socketPath)

  let resolveExit: (exit: DoubleExit) => void = () => undefined
  const exited = new Promise<DoubleExit>((resolve) => (resolveExit = resolve))
  let closing: Promise<void> | undefined
  const daemon = new Daemon(options, (exitCode, reason) => {
    void close().then(() => resolveExit({ exitCode, reason }))
  })
  const server = createDoubleServer(daemon, new FilesApi(root))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })

  function close(): Promise<void> {
    closing ??= (async () => {
      daemon.checks.stopAll()
      daemon.exec.closeAll()
      await daemon.services.stopAll()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      if (tempDir) await rm(tempDir, { recursive: true, force: true })
      else await unlink(socketPath).catch(() => undefined)
    })()
    return closing
  }

  return { socketPath, root, exited, close, client: () => new PebbleClient({ socketPath }) }
}

/** Like Pebble, a leftover socket from a dead daemon is replaced; a live one is an error. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return
  const live = await new Promise<boolean>((resolve) => {
    const socket = connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
  if (live) throw new Error(`socket ${socketPath} is in use by another daemon`)
  await unlink(socketPath)
}

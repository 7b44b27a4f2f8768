/**
 * A MongoDB-protocol server for the tests: our FerretDB v1.24.2 runner (see
 * `tests/tools/ferretdb/main.go`) on a free 127.0.0.1 port with a data folder of its own, or the
 * real server of `MONGODB_URI` when that is set. FerretDB is a second, independent
 * implementation of the wire protocol, not MongoDB: no TTL indexes, no transactions, write
 * concerns ignored.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { toolPaths } from '../tools/provision.mjs'

/** Where a test's databases live. */
export interface MongoServer {
  /** `ferretdb` (ours, killable) or `external` (the server of `MONGODB_URI`). */
  readonly kind: 'ferretdb' | 'external'
  /** The connection string for `database`, keeping any credentials and options of the server. */
  uri(database: string): string
  /** Stops what this module started; an external server is left alone. */
  stop(): Promise<void>
}

/** A FerretDB the test owns: it can take it away and bring it back on the same port. */
export interface FerretDb extends MongoServer {
  readonly kind: 'ferretdb'
  readonly port: number
  /** Its SQLite files; removed by `stop()`. */
  readonly dataDir: string
  /** The runner's process id while it runs. */
  readonly pid: number | undefined
  /** SIGKILL, as a crash or a lost node would end it, and waits for the exit. Data stays. */
  kill(): Promise<void>
  /** Starts it again on the same port over the same data. */
  restart(): Promise<void>
}

const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000
/** Every runner still alive, killed if the test process leaves without stopping them. */
const alive = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL')
})

/** FerretDB, or the real server of `MONGODB_URI` when it is set (not killable then). */
export function startMongoServer(): Promise<MongoServer> {
  const external = process.env['MONGODB_URI']
  if (external === undefined || external === '') return startFerretDb()
  return Promise.resolve({
    kind: 'external',
    uri: (database) => withDatabase(external, database),
    stop: async () => {},
  })
}

/** Starts our FerretDB runner on a free port with a fresh data folder. */
export async function startFerretDb(): Promise<FerretDb> {
  const binary = toolPaths().ferretdb
  const dataDir = mkdtempSync(join(tmpdir(), 'ferretdb-'))
  let child: ChildProcess | undefined
  let port = 0

  async function launch(listenPort: number): Promise<void> {
    const started = await runRunner(binary, dataDir, listenPort)
    child = started.child
    port = started.port
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const current = child
    child = undefined
    if (current === undefined) return
    await stopChild(current, signal)
  }

  try {
    await launch(0)
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  return {
    kind: 'ferretdb',
    get port() {
      return port
    },
    dataDir,
    get pid() {
      return child?.pid
    },
    uri: (database) => `mongodb://${HOST}:${port}/${database}`,
    kill: () => end('SIGKILL'),
    async restart() {
      if (child !== undefined) throw new Error('FerretDB is still running; kill() it first')
      await launch(port)
    },
    async stop() {
      await end('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

function runRunner(
  binary: string,
  dataDir: string,
  port: number,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(binary, ['-listen', `${HOST}:${port}`, '-data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  alive.add(child)
  child.once('exit', () => alive.delete(child))
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep only the tail: it is there to explain a failed start.
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`FerretDB did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`))
    }, START_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const match = /^listening mongodb:\/\/[^:]+:(\d+)\/$/.exec(line)
      if (match === null) return
      clearTimeout(timer)
      lines.close()
      resolve({ child, port: Number(match[1]) })
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`FerretDB exited (${code ?? signal}) before it listened: ${stderr.trim()}`))
    })
  })
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

/** The same URI with its database replaced, keeping hosts, credentials and options. */
export function withDatabase(uri: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?#]*)(?:\/[^?#]*)?(\?.*)?$/.exec(uri)
  if (match === null) throw new Error('MONGODB_URI is not a mongodb:// URI')
  return `${match[1]}/${database}${match[2] ?? ''}`
}

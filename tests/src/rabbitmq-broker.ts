// Starts a private RabbitMQ broker (Debian's rabbitmq-server) for the AMQP tests: its own epmd,
// node name, free loopback ports, data dir and erlang cookie, so it never meets a system broker
// on 5672 and leaves nothing running once stopped.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's launcher; it runs as the calling user (the /usr/sbin wrapper would switch users). */
export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
const EPMD = '/usr/bin/epmd'

/** Options of {@link startBroker}. */
export interface BrokerOptions {
  /**
   * The AMQP port (default: a free one). The charm's tests need AMQP's own 5672: the `rabbitmq`
   * interface sends no port.
   */
  readonly port?: number
  /** The broker's first user, with every permission on vhost `/`, instead of `guest`. */
  readonly user?: { readonly name: string; readonly password: string }
}

export interface Broker {
  /** `amqp://<user>:<password>@127.0.0.1:<port>/`; guest may log in from loopback. */
  readonly uri: string
  readonly port: number
  /** How long the last start took until the AMQP port accepted, in ms. */
  readonly startMs: () => number
  /** SIGKILL to the broker's process group: the broker dies as in a crash, epmd stays. */
  kill(): Promise<void>
  /** Starts the broker again on the same ports and data dir. */
  start(): Promise<void>
  /** Stops the broker and epmd and removes the data dir; nothing is left running. */
  stop(): Promise<void>
  /** The broker's own log, for failure messages. */
  log(): string
}

/** A free loopback TCP port (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Starts a broker and waits (up to 90 s on a starved machine) until it takes connections.
 *
 * @example
 * const broker = await startBroker()
 * afterAll(() => broker.stop())
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  if (!existsSync(RABBITMQ_SERVER)) {
    throw new Error(
      `${RABBITMQ_SERVER} is missing: run "node tests/tools/provision.mjs install" as root (npm test does), or apt-get install rabbitmq-server`,
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-test-'))
  const [port, distPort, epmdPort] = [
    options.port ?? (await freePort()),
    await freePort(),
    await freePort(),
  ]
  const user = options.user ?? { name: 'guest', password: 'guest' }
  for (const sub of ['home', 'mnesia', 'log']) mkdirSync(join(dir, sub))
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n')
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      // A test machine's disk may be fuller than the default alarm allows.
      'disk_free_limit.absolute = 1MB',
      ...(options.user ? [`default_user = ${user.name}`, `default_pass = ${user.password}`] : []),
      '',
    ].join('\n'),
  )
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    LANG: 'C.UTF-8',
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: `test-${process.pid}-${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  }
  // Our own epmd in the foreground, so it is ours to stop (a node would start a daemon one).
  const epmd = spawn(EPMD, ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    env,
    stdio: 'ignore',
  })
  let server: ChildProcess | undefined
  let lastStartMs = 0
  const logPath = join(dir, 'server.log')

  async function start(): Promise<void> {
    const started = Date.now()
    writeFileSync(logPath, '', { flag: 'a' })
    const out = await import('node:fs').then((fs) => fs.openSync(logPath, 'a'))
    // Its own process group: kill() and stop() reach the launcher script and the VM together.
    server = spawn(RABBITMQ_SERVER, [], { env, detached: true, stdio: ['ignore', out, out] })
    const child = server
    while (!(await canConnect(port))) {
      if (child.exitCode !== null) throw new Error(`rabbitmq-server exited early:\n${readLog()}`)
      if (Date.now() - started > 90_000)
        throw new Error(`rabbitmq-server did not start:\n${readLog()}`)
      await sleep(100)
    }
    lastStartMs = Date.now() - started
  }

  function signalGroup(signal: NodeJS.Signals): void {
    if (server?.pid === undefined || server.exitCode !== null || server.signalCode !== null) return
    try {
      process.kill(-server.pid, signal)
    } catch {
      // Already gone.
    }
  }

  function readLog(): string {
    try {
      return readFileSync(logPath, 'utf8').slice(-4000)
    } catch {
      return ''
    }
  }

  try {
    await start()
  } catch (error) {
    signalGroup('SIGKILL')
    epmd.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw error
  }

  return {
    uri: `amqp://${encodeURIComponent(user.name)}:${encodeURIComponent(user.password)}@127.0.0.1:${port}/`,
    port,
    startMs: () => lastStartMs,
    async kill() {
      const child = server
      signalGroup('SIGKILL')
      if (child) await exited(child)
      // The port closes with the VM; wait until it does so callers see a dead broker.
      while (await canConnect(port)) await sleep(50)
    },
    start,
    async stop() {
      const child = server
      signalGroup('SIGTERM')
      if (child) {
        const stopped = exited(child)
        const timer = setTimeout(() => signalGroup('SIGKILL'), 30_000)
        await stopped
        clearTimeout(timer)
      }
      // The launcher exits after the VM; a VM that outlived it is still in the group.
      signalGroup('SIGKILL')
      epmd.kill('SIGTERM')
      await exited(epmd)
      rmSync(dir, { recursive: true, force: true })
    },
    log: readLog,
  }
}

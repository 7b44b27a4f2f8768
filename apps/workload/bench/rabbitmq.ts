// A private RabbitMQ broker for the benchmark's AMQP target (Debian's rabbitmq-server): own
// epmd, node name, loopback ports and data dir, gone once stopped. The tests' harness
// (tests/src/rabbitmq-broker.ts) is the full version, with kill and restart.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { join } from 'node:path'
import { connect } from 'amqplib'

const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'

export interface BenchBroker {
  readonly uri: string
  stop(): Promise<void>
}

export const brokerInstalled = () => existsSync(RABBITMQ_SERVER)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

/** Starts a broker in `dir` and declares the planner's queue, bound to the gateway exchange. */
export async function startBenchBroker(dir: string): Promise<BenchBroker> {
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()]
  for (const sub of ['home', 'mnesia', 'log']) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n')
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    `listeners.tcp.default = 127.0.0.1:${port}\ndisk_free_limit.absolute = 1MB\n`,
  )
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `bench-${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  }
  const epmd = spawn('/usr/bin/epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    env,
    stdio: 'ignore',
  })
  const out = openSync(join(dir, 'server.log'), 'a')
  const server = spawn(RABBITMQ_SERVER, [], { env, detached: true, stdio: ['ignore', out, out] })
  const started = Date.now()
  while (!(await accepts(port))) {
    if (server.exitCode !== null || Date.now() - started > 90_000) {
      epmd.kill('SIGKILL')
      throw new Error(`rabbitmq-server did not start; see ${join(dir, 'server.log')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  console.log(`  rabbitmq-server started in ${Date.now() - started} ms`)
  const uri = `amqp://guest:guest@127.0.0.1:${port}/`
  const connection = await connect(uri)
  const channel = await connection.createChannel()
  await channel.assertExchange('github-workflow-jobs-dlx', 'direct', { durable: true })
  await channel.assertExchange('github-workflow-jobs', 'direct', { durable: true })
  await channel.assertQueue('github-workflow-jobs', {
    durable: true,
    arguments: { 'x-dead-letter-exchange': 'github-workflow-jobs-dlx' },
  })
  await channel.bindQueue('github-workflow-jobs', 'github-workflow-jobs', 'workflow-job')
  await connection.close()
  return {
    uri,
    async stop() {
      if (server.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
      await exited(server)
      epmd.kill('SIGTERM')
      await exited(epmd)
    },
  }
}

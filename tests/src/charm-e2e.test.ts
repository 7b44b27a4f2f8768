/**
 * End to end: the *packed* charm's `dispatch`, unpacked and run with a PATH that has no node,
 * under a fake Juju (hook tools over a state file), against real Pebble v1.32.1 (`pebble run` on
 * the `app` container socket) that runs the real `webhook-router`. The provider first points at a
 * closed port (the migration-failure path), then at FerretDB (or the server of MONGODB_URI): the
 * migration is real, `/health` is 200, and a signed webhook's job is read back by the consumer's
 * own kombu (tests/python/consumer.py). Then the rabbitmq relation in the `both` mode, against
 * Debian's rabbitmq-server on AMQP's own 5672 (the interface sends no port): one webhook reaches
 * the kombu queue and the planner's queue. Needs ports 8000, 9102 and 5672 free.
 */
import { spawnSync } from 'node:child_process'
import { createHash, createHmac } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PebbleClient } from '@webhook-router/pebble-client'
import { startGitHubDouble, type GitHubDouble } from '@webhook-router/redelivery/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { FakeJuju, initialState, type FakeRelation } from '../fake-juju/fake-juju.js'
import {
  assertPortsFree,
  unpackCharm,
  waitForAnswer,
  workloadShim,
} from '../fake-juju/packed-charm.js'
import { declarePlannerQueue, drainPlannerQueue } from './amqp-support.js'
import { startMongoServer, type MongoServer } from './mongo-server.js'
import { startRealPebble, type RealPebble } from './pebble-real.js'
import { consumeJobs } from './python.js'
import { startBroker, type Broker } from './rabbitmq-broker.js'

const APP = 'github-runner-webhook-router'
const SECRET = 'e2e-webhook-secret'
const PORT = 8000

/** What the provider hands out first: a server that is not there, so migration fails. */
const BROKEN_URI = `mongodb://relation-2:Pw0rd@127.0.0.1:9/${APP}?authSource=admin&serverSelectionTimeoutMS=1500`

/** POSTs `body` to the workload's webhook as GitHub would, signed with the charm's secret. */
function postWebhook(body: string, delivery: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${PORT}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      'x-github-delivery': delivery,
    },
    body,
  })
}

/** What it rotates to: FerretDB, or the server of MONGODB_URI. */
function databaseUri(): string {
  if (!mongo) throw new Error('the MongoDB server is not running')
  return mongo.uri(APP)
}

let work: string
let juju: FakeJuju
let pebble: RealPebble | undefined
let github: GitHubDouble
let containersDir: string
let shims: string
let mongo: MongoServer | undefined
let broker: Broker | undefined

/** What the rabbitmq provider answers: the password of the user it made for the router. */
const BROKER_PASSWORD = 'amqp-Pw0rd/9f3'

function relation(
  partial: Partial<FakeRelation> & Pick<FakeRelation, 'id' | 'endpoint' | 'remoteApp'>,
): FakeRelation {
  return { remoteUnits: {}, remoteAppData: {}, localApp: {}, localUnit: {}, ...partial }
}

interface PlanView {
  services: Record<
    string,
    { command?: string; startup?: string; environment: Record<string, string> }
  >
  checks: Record<string, { http?: { url?: string } }>
}

async function plan(): Promise<PlanView> {
  const socketPath = join(containersDir, 'app', 'pebble.socket')
  return (await new PebbleClient({ socketPath }).getPlan()) as unknown as PlanView
}

beforeAll(async () => {
  await assertPortsFree([PORT, 9102])
  work = mkdtempSync(join(tmpdir(), 'charm-e2e-'))
  const charmDir = await unpackCharm(work)
  shims = workloadShim(work, join(work, 'serve-fails'))
  mongo = await startMongoServer()
  containersDir = join(work, 'containers')
  mkdirSync(join(containersDir, 'app'), { recursive: true })

  github = await startGitHubDouble()
  juju = await FakeJuju.start(join(work, 'juju'), charmDir, initialState(), {
    WEBHOOK_ROUTER_CONTAINERS_DIR: containersDir,
  })
}, 120_000)

afterAll(async () => {
  await pebble?.close()
  await github?.close()
  await juju?.close()
  await mongo?.stop()
  await broker?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the packed charm under a fake Juju', () => {
  it('packs the metadata Juju reads, split out of charmcraft.yaml', () => {
    const metadata = parseYaml(readFileSync(join(juju.charmDir, 'metadata.yaml'), 'utf8'))
    expect(metadata).toMatchObject({
      name: APP,
      'display-name': 'GitHub runner webhook router',
      containers: { app: { resource: 'app-image' } },
      requires: {
        mongodb: { interface: 'mongodb_client', limit: 1 },
        ingress: { interface: 'ingress' },
        rabbitmq: { interface: 'rabbitmq', limit: 1, optional: true },
      },
      provides: { 'metrics-endpoint': { interface: 'prometheus_scrape' } },
      peers: { 'secret-storage': { interface: 'secret-storage' } },
    })
    expect(metadata).not.toHaveProperty('parts')
    const actions = parseYaml(readFileSync(join(juju.charmDir, 'actions.yaml'), 'utf8'))
    expect(Object.keys(actions)).toEqual([
      'redeliver-failed-webhooks',
      'rotate-secret-key',
      'show-history',
    ])
    const config = parseYaml(readFileSync(join(juju.charmDir, 'config.yaml'), 'utf8'))
    expect(config.options['webhook-secret-previous'].type).toBe('string')
    expect(config.options['publish-mode']).toMatchObject({ type: 'string', default: 'kombu' })
  })

  it('runs dispatch from the unpacked archive although PATH has no node', async () => {
    const env = juju.env('install')
    expect(spawnSync('/bin/sh', ['-c', 'command -v node'], { env }).status).not.toBe(0)
    const result = await juju.dispatch('install')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({
      status: 'waiting',
      message: 'Waiting for pebble ready',
    })
    expect(result.state.appStatus).toEqual(result.state.unitStatus)
  })

  it('waits for Pebble on leader-elected', async () => {
    const result = await juju.dispatch('leader-elected')
    expect(result.code).toBe(0)
    expect(result.state.unitStatus.status).toBe('waiting')
  })

  it('waits for the peer relation once Pebble is ready', async () => {
    pebble = await startRealPebble({
      socketPath: join(containersDir, 'app', 'pebble.socket'),
      environment: { PATH: `${shims}:${process.env['PATH']}` },
    })
    const result = await juju.dispatch('app-pebble-ready', { workload: 'app' })
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({
      status: 'waiting',
      message: 'Waiting for peer integration',
    })
  })

  it('generates the application secret key on secret-storage-relation-created', async () => {
    juju.update((state) => {
      state.relations.push(
        relation({ id: 1, endpoint: 'secret-storage', remoteApp: APP, peer: true }),
      )
    })
    const result = await juju.dispatch('secret-storage-relation-created', { relationId: 1 })
    expect(result.code).toBe(0)
    expect(juju.relation('secret-storage')?.localApp['app_secret_key']).toMatch(/^[\w-]{86}$/)
  })

  it('blocks on the missing database after config-changed', async () => {
    juju.update((state) => {
      state.config = {
        flavours: '- small: [small, x64]\n- large: [large, x64]',
        'default-flavour': 'small',
        'default-self-hosted-labels': 'self-hosted,linux',
        'log-level': 'INFO',
        'webhook-secret': SECRET,
        'redelivery-interval': 0,
        'redelivery-webhook-id': 0,
        'github-api-url': github.url,
      }
    })
    const result = await juju.dispatch('config-changed')
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({
      status: 'blocked',
      message: 'missing integrations: mongodb',
    })
  })

  it('requests a database named after the application on mongodb-relation-created', async () => {
    juju.update((state) => {
      state.relations.push(
        relation({
          id: 2,
          endpoint: 'mongodb',
          remoteApp: 'mongodb-k8s',
          remoteUnits: { 'mongodb-k8s/0': {} },
        }),
      )
    })
    const result = await juju.dispatch('mongodb-relation-created', { relationId: 2 })
    expect(result.code).toBe(0)
    expect(juju.relation('mongodb')?.localApp).toEqual({
      database: APP,
      'requested-secrets': '["username","password","tls","tls-ca","uris"]',
    })
    expect(result.state.unitStatus.status).toBe('waiting')
  })

  it('reads the secret-user credentials on database-created and blocks when migration fails', async () => {
    juju.update((state) => {
      state.secrets['cmongo0000000000001'] = {
        owner: null,
        granted: true,
        revisions: [{ username: 'relation-2', password: 'Pw0rd', uris: BROKEN_URI }],
      }
      const relation = state.relations.find((r) => r.endpoint === 'mongodb')
      if (relation) {
        relation.remoteAppData = {
          database: APP,
          endpoints: 'mongodb-k8s-0.mongodb-k8s-endpoints',
          replset: 'mongodb-k8s',
          'secret-user': `secret://${state.model.uuid}/cmongo0000000000001`,
        }
      }
    })
    await juju.dispatch('mongodb-relation-joined', { relationId: 2 })
    const result = await juju.dispatch('mongodb-relation-changed', { relationId: 2 })
    expect(result.code).toBe(0)
    expect(result.state.secrets['cmongo0000000000001']?.consumerLabel).toBe('mongodb.2.user.secret')
    expect(result.state.unitStatus.status).toBe('blocked')
    expect(result.state.unitStatus.message).toMatch(
      /^migration failed: webhook-router migrate failed \(exit code \d+/,
    )
    expect(result.state.unitStatus.message).not.toContain('Pw0rd')
    expect(result.state.logs.find((line) => line.message.includes('migrate'))?.level).toBe('ERROR')
  })

  it('migrates and starts webhook-router serve when the provider rotates the credentials', async () => {
    juju.update((state) => {
      state.secrets['cmongo0000000000001']?.revisions.push({
        username: 'relation-2',
        password: 'Pw0rd',
        uris: databaseUri(),
      })
    })
    const result = await juju.dispatch('secret-changed', {
      secret: {
        id: 'secret://6e1b0f3c-0000-4000-8000-000000000001/cmongo0000000000001',
        label: 'mongodb.2.user.secret',
      },
    })
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({ status: 'active', message: '' })
    expect(result.state.openedPorts).toContain('8000/tcp')
    const current = await plan()
    expect(current.services['webhook-router']).toMatchObject({
      command: 'webhook-router serve',
      startup: 'enabled',
      environment: {
        APP_PORT: '8000',
        APP_FLAVOURS: '- small: [small, x64]\n- large: [large, x64]',
        APP_WEBHOOK_SECRET: SECRET,
        MONGODB_DB_CONNECT_STRING: databaseUri(),
      },
    })
    expect(current.checks['webhook-router-ready']?.http?.url).toBe('http://localhost:8000/health')
    const socketPath = join(containersDir, 'app', 'pebble.socket')
    const [service] = await new PebbleClient({ socketPath }).getServices(['webhook-router'])
    expect(service?.current).toBe('active')
  })

  it('serves /health from the real workload once the database is reachable', async () => {
    const health = await waitForAnswer(`http://127.0.0.1:${PORT}/health`)
    expect(health.status).toBe(200)
  })

  it("passes Pebble's ready check against the running workload", async () => {
    const client = new PebbleClient({ socketPath: join(containersDir, 'app', 'pebble.socket') })
    const { info, error } = await client.refreshCheck('webhook-router-ready')
    expect(error).toBeUndefined()
    expect(info).toMatchObject({ level: 'ready', status: 'up' })
    expect(await client.health({ level: 'ready' })).toBe(true)
  })

  it('publishes ingress data and uses the ingress URL', async () => {
    juju.update((state) => {
      state.relations.push(
        relation({
          id: 3,
          endpoint: 'ingress',
          remoteApp: 'traefik-k8s',
          remoteUnits: { 'traefik-k8s/0': {} },
        }),
      )
    })
    await juju.dispatch('ingress-relation-created', { relationId: 3 })
    const ingress = juju.relation('ingress')
    expect(ingress?.localApp).toEqual({
      model: '"test-model"',
      name: `"${APP}"`,
      port: '8000',
      'strip-prefix': 'true',
    })
    expect(ingress?.localUnit['host']).toBe(
      `"${APP}-0.${APP}-endpoints.test-model.svc.cluster.local"`,
    )
    expect(ingress?.localUnit['ip']).toBe('"10.1.0.7"')
    juju.update((state) => {
      const rel = state.relations.find((r) => r.endpoint === 'ingress')
      if (rel)
        rel.remoteAppData = {
          ingress: JSON.stringify({ url: 'http://ingress.test/test-model-router' }),
        }
    })
    const result = await juju.dispatch('ingress-relation-changed', { relationId: 3 })
    expect(result.code).toBe(0)
    const service = (await plan()).services['webhook-router']
    expect(service?.environment['APP_BASE_URL']).toBe('http://ingress.test/test-model-router')
  })

  it('queues a signed webhook into MongoDB as a kombu message for the routed flavour', async () => {
    // The ingress change just restarted the service; wait until it answers again.
    expect((await waitForAnswer(`http://127.0.0.1:${PORT}/health`)).status).toBe(200)
    const job = { url: 'https://api.github.com/repos/o/r/actions/jobs/987', labels: ['small'] }
    const body = JSON.stringify({
      action: 'queued',
      workflow_job: { id: 987, url: job.url, labels: ['self-hosted', 'linux', 'small'] },
    })
    const response = await postWebhook(body, 'e2e-1')
    expect(response.status).toBe(200)
    const expected = { labels: job.labels, status: 'queued', url: job.url }
    const [consumed] = await consumeJobs(databaseUri(), { small: 1 })
    expect(JSON.parse(consumed?.payload ?? '')).toEqual(expected)
  })

  it('rotates the secret key with the rotate-secret-key action', async () => {
    const before = juju.relation('secret-storage')?.localApp['app_secret_key']
    const result = await juju.dispatch('rotate-secret-key', { action: { params: {} } })
    expect(result.code).toBe(0)
    expect(result.state.action?.results).toEqual({ status: 'success' })
    const after = juju.relation('secret-storage')?.localApp['app_secret_key']
    expect(after).toMatch(/^[\w-]{86}$/)
    expect(after).not.toBe(before)
    expect((await plan()).services['webhook-router']?.environment['APP_SECRET_KEY']).toBe(after)
  })

  it('redelivers failed webhooks against the GitHub double', async () => {
    const hook = { owner: 'octo-org', repo: 'octo-repo', hookId: 77 }
    github.addHook(hook)
    github.addDelivery(hook, { status: 'failed to connect', deliveredAt: new Date() })
    github.addDelivery(hook, { status: 'OK', deliveredAt: new Date() })
    juju.update((state) => {
      state.secrets['ctoken00000000000001'] = {
        owner: null,
        granted: true,
        revisions: [{ token: 'test-token' }],
      }
    })
    const result = await juju.dispatch('redeliver-failed-webhooks', {
      action: {
        params: {
          since: 3600,
          'github-path': 'octo-org/octo-repo',
          'webhook-id': 77,
          'github-token-secret-id': 'ctoken00000000000001',
        },
      },
    })
    expect(result.code).toBe(0)
    expect(result.state.action?.failed).toBeUndefined()
    expect(result.state.action?.results).toEqual({ redelivered: '1' })
    expect(github.attempts).toHaveLength(1)
  })

  it('fails the redelivery action with the reference message when a secret cannot be read', async () => {
    const result = await juju.dispatch('redeliver-failed-webhooks', {
      action: {
        params: {
          since: 60,
          'github-path': 'octo-org',
          'webhook-id': 77,
          'github-token-secret-id': 'secret:nope',
        },
      },
    })
    expect(result.code).toBe(0)
    expect(result.state.action?.failed).toBe(
      'Invalid action parameters passed: Could not access/find secret secret:nope',
    )
  })

  it('shows the unit lifecycle history', async () => {
    const result = await juju.dispatch('show-history', { action: { params: { limit: 5 } } })
    expect(result.code).toBe(0)
    expect(result.state.action?.results['count']).toBe('5')
    expect(result.state.action?.results['history']).toMatch(/show-history|action/)
  })

  it('changes nothing on update-status when settled', async () => {
    const before = await plan()
    const calls = juju.read().calls.length
    const result = await juju.dispatch('update-status')
    expect(result.code).toBe(0)
    expect(await plan()).toEqual(before)
    const tools = juju
      .read()
      .calls.slice(calls)
      .map((call) => call[0])
    expect(tools).not.toContain('relation-set')
  })

  it("blocks with Pebble's reason, not a failed hook, when the service cannot start", async () => {
    writeFileSync(join(work, 'serve-fails'), '')
    juju.update((state) => {
      state.config['log-level'] = 'DEBUG'
    })
    const failed = await juju.dispatch('config-changed')
    expect(failed.code).toBe(0)
    expect(failed.state.unitStatus.status).toBe('blocked')
    expect(failed.state.unitStatus.message).toMatch(
      /^workload start failed: webhook-router did not start: Start service "webhook-router" \(.+\), will retry in next update-status$/,
    )
    rmSync(join(work, 'serve-fails'))
    const recovered = await juju.dispatch('update-status')
    expect(recovered.code).toBe(0)
    expect(recovered.state.unitStatus).toEqual({ status: 'active', message: '' })
  })

  it('asks the rabbitmq provider for a user, and ignores the relation in the kombu mode', async () => {
    const before = (await plan()).services['webhook-router']?.environment
    juju.update((state) => {
      state.relations.push(
        relation({
          id: 4,
          endpoint: 'rabbitmq',
          remoteApp: 'rabbitmq-k8s',
          remoteUnits: { 'rabbitmq-k8s/0': {} },
        }),
      )
    })
    const result = await juju.dispatch('rabbitmq-relation-created', { relationId: 4 })
    expect(result.code).toBe(0)
    expect(juju.relation('rabbitmq')?.localApp).toEqual({ username: APP, vhost: '/' })
    expect(result.state.unitStatus).toEqual({ status: 'active', message: '' })
    expect((await plan()).services['webhook-router']?.environment).toEqual(before)
  })

  it('waits for the broker once publish-mode is both', async () => {
    juju.update((state) => {
      state.config['publish-mode'] = 'both'
    })
    const result = await juju.dispatch('config-changed')
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({
      status: 'waiting',
      message: 'Waiting for integrations: rabbitmq',
    })
  })

  it("migrates with the broker's connect string, and blocks without its password when that fails", async () => {
    // No broker listens on AMQP's port here, so the workload's migrate (declaring the
    // exchange) fails: the path shows the connect string reached the workload, redacted.
    await assertPortsFree([5672])
    juju.update((state) => {
      const rel = state.relations.find((r) => r.endpoint === 'rabbitmq')
      if (rel) rel.remoteAppData = { hostname: '127.0.0.1', password: BROKER_PASSWORD }
    })
    const result = await juju.dispatch('rabbitmq-relation-changed', { relationId: 4 })
    expect(result.code).toBe(0)
    expect(result.state.unitStatus.status).toBe('blocked')
    expect(result.state.unitStatus.message).toMatch(
      /^migration failed: webhook-router migrate failed \(exit code \d+/,
    )
    expect(result.state.unitStatus.message).toContain(
      `amqp://${APP}:***@127.0.0.1:5672/%2F is unavailable`,
    )
    const logged = JSON.stringify(result.state.logs)
    expect(`${result.state.unitStatus.message} ${logged}`).not.toContain('Pw0rd')
  })

  it('publishes one webhook to the kombu queue and the stream once the broker is up', async () => {
    // The user the provider would have made for the router, on AMQP's own port.
    broker = await startBroker({ port: 5672, user: { name: APP, password: BROKER_PASSWORD } })
    await declarePlannerQueue(broker.uri)
    const retried = await juju.dispatch('update-status')
    expect(retried.code).toBe(0)
    expect(retried.state.unitStatus).toEqual({ status: 'active', message: '' })
    expect((await plan()).services['webhook-router']?.environment).toMatchObject({
      APP_PUBLISH_MODE: 'both',
      RABBITMQ_CONNECT_STRING: `amqp://${APP}:amqp-Pw0rd%2F9f3@127.0.0.1:5672/%2F`,
      MONGODB_DB_CONNECT_STRING: databaseUri(),
    })
    expect((await waitForAnswer(`http://127.0.0.1:${PORT}/health`)).status).toBe(200)
    const url = 'https://api.github.com/repos/o/r/actions/jobs/988'
    const body = JSON.stringify({
      action: 'queued',
      workflow_job: { id: 988, url, labels: ['self-hosted', 'linux', 'small'] },
    })
    const response = await postWebhook(body, 'e2e-both-1')
    expect(response.status).toBe(200)
    const [consumed] = await consumeJobs(databaseUri(), { small: 1 })
    expect(JSON.parse(consumed?.payload ?? '')).toMatchObject({ url, status: 'queued' })
    const streamed = await drainPlannerQueue(broker.uri)
    expect(streamed.map((message) => message.content.toString())).toEqual([body])
    expect(streamed[0]?.properties.headers?.['X-GitHub-Delivery']).toBe('e2e-both-1')
  }, 150_000)

  it('publishes the stream alone in the stream mode, with no flavour table', async () => {
    juju.update((state) => {
      state.config['publish-mode'] = 'stream'
      delete state.config['flavours']
      delete state.config['default-flavour']
    })
    const result = await juju.dispatch('config-changed')
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({ status: 'active', message: '' })
    const environment = (await plan()).services['webhook-router']?.environment ?? {}
    expect(environment['APP_PUBLISH_MODE']).toBe('stream')
    for (const name of ['MONGODB_DB_CONNECT_STRING', 'APP_FLAVOURS', 'APP_DEFAULT_FLAVOUR'])
      expect(environment).not.toHaveProperty(name)
    expect((await waitForAnswer(`http://127.0.0.1:${PORT}/health`)).status).toBe(200)
    // An in_progress event, which the kombu queues never carry, for the planner.
    const body = JSON.stringify({
      action: 'in_progress',
      workflow_job: {
        id: 988,
        url: 'https://api.github.com/repos/o/r/actions/jobs/988',
        labels: ['self-hosted', 'linux', 'small'],
      },
    })
    const response = await postWebhook(body, 'e2e-stream-1')
    expect(response.status).toBe(200)
    if (!broker) throw new Error('the broker is not running')
    const streamed = await drainPlannerQueue(broker.uri)
    expect(streamed.map((message) => message.content.toString())).toEqual([body])
  })

  it('drops the stream again when publish-mode goes back to kombu', async () => {
    juju.update((state) => {
      state.config['publish-mode'] = 'kombu'
      state.config['flavours'] = '- small: [small, x64]\n- large: [large, x64]'
      state.config['default-flavour'] = 'small'
    })
    const result = await juju.dispatch('config-changed')
    expect(result.code).toBe(0)
    expect(result.state.unitStatus).toEqual({ status: 'active', message: '' })
    const environment = (await plan()).services['webhook-router']?.environment ?? {}
    for (const name of ['APP_PUBLISH_MODE', 'RABBITMQ_CONNECT_STRING', 'APP_STREAM_DEDUP_PATH'])
      expect(environment).not.toHaveProperty(name)
    expect((await waitForAnswer(`http://127.0.0.1:${PORT}/health`)).status).toBe(200)
  })

  it('keeps the webhook secret and the broker password out of the unit event log', () => {
    const logDir = join(juju.charmDir, '.charm-machine')
    const files = readdirSync(logDir)
    expect(files.length).toBeGreaterThan(0)
    const contents = files.map((file) => readFileSync(join(logDir, file), 'utf8')).join('\n')
    expect(contents).not.toContain(SECRET)
    expect(contents).not.toContain('amqp-Pw0rd')
    // The config is recorded, with a fingerprint standing in for the secret.
    const fingerprint = createHash('sha256').update(SECRET).digest('hex').slice(0, 16)
    expect(contents).toContain(`sha256:${fingerprint}`)
  })
})

/**
 * The AMQP adapter behind the router, against a real RabbitMQ (Debian's rabbitmq-server, one
 * private broker for this file): what the planner's queue receives, read by amqplib and by
 * py-amqp, dedup in the SQLite ledger, unroutable publishes, a broker killed mid-traffic, and
 * both publishing modes at once.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'amqplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAmqpQueue,
  createRouter,
  createSqliteDedupLedger,
  createSqliteQueue,
  decodeKombuPayload,
  defineRouterConfig,
  GATEWAY_EXCHANGE,
  GATEWAY_ROUTING_KEY,
  type AmqpQueue,
  type JobQueue,
} from '@webhook-router/router'
import {
  declarePlannerQueue,
  drainPlannerQueue,
  readWithPython,
  SECRET,
  signedWebhook,
} from './amqp-support.js'
import { startBroker, type Broker } from './rabbitmq-broker.js'

const config = defineRouterConfig({
  flavours: [{ name: 'small', labels: ['small'] }],
  defaultFlavour: 'small',
  secrets: { current: SECRET },
  publishTimeoutMs: 2000,
})

let broker: Broker
let dir: string
const opened: { close(): Promise<void> }[] = []

function openStream(ledger = 'stream-dedup.sqlite'): AmqpQueue {
  const stream = createAmqpQueue({
    uri: broker.uri,
    dedup: createSqliteDedupLedger({ path: join(dir, ledger), retentionMs: 3_600_000 }),
    backoff: { initialMs: 100, maxMs: 500 },
  })
  opened.push(stream)
  return stream
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'amqp-broker-test-'))
  broker = await startBroker()
  console.log(`rabbitmq-server started in ${broker.startMs()} ms`)
}, 120_000)

afterAll(async () => {
  for (const store of opened) await store.close()
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('the gateway stream on a real RabbitMQ', () => {
  it('reports a publish that no queue takes, before the planner declared its queue', async () => {
    const stream = openStream('unroutable.sqlite')
    const router = createRouter({ config, stream })
    const { init } = signedWebhook({ deliveryId: 'unroutable-1' })
    const response = await router.request('/webhook', init)
    expect(response.status).toBe(503)
    expect(response.headers.get('x-webhook-router-outcome')).toBe('failed_queue_unavailable')
    // Not remembered: once a queue is bound, GitHub's redelivery goes through.
    await declarePlannerQueue(broker.uri)
    const again = await router.request(
      '/webhook',
      signedWebhook({ deliveryId: 'unroutable-1' }).init,
    )
    expect(again.status).toBe(200)
    const [message] = await drainPlannerQueue(broker.uri)
    expect(message?.properties.headers?.['X-GitHub-Delivery']).toBe('unroutable-1')
  })

  it('declares the exchange durable and direct, as the planner expects it', async () => {
    await openStream().migrate()
    const connection = await connect(broker.uri)
    const channel = await connection.createChannel()
    // Re-declaring with the same type and durability is accepted; any other is refused (406).
    await expect(
      channel.assertExchange(GATEWAY_EXCHANGE, 'direct', { durable: true }),
    ).resolves.toBeDefined()
    const other = await connection.createChannel()
    other.on('error', () => {})
    await expect(
      other.assertExchange(GATEWAY_EXCHANGE, 'fanout', { durable: true }),
    ).rejects.toThrow(/PRECONDITION_FAILED/)
    await connection.close()
  })

  it("delivers every accepted webhook to the planner's queue with the gateway's body, properties and headers", async () => {
    await declarePlannerQueue(broker.uri)
    const router = createRouter({ config, stream: openStream() })
    const sent = ['queued', 'in_progress', 'completed'].map((action, i) =>
      signedWebhook({ deliveryId: `contract-${i}`, action, jobId: 2000 }),
    )
    for (const webhook of sent) {
      const response = await router.request('/webhook', webhook.init)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('')
    }
    const received = await drainPlannerQueue(broker.uri)
    expect(received).toHaveLength(3)
    received.forEach((message, i) => {
      const webhook = sent[i]!
      expect(message.content.toString('utf8')).toBe(webhook.body)
      expect(message.fields.exchange).toBe(GATEWAY_EXCHANGE)
      expect(message.fields.routingKey).toBe(GATEWAY_ROUTING_KEY)
      const { contentType, deliveryMode, headers, ...others } = message.properties
      expect(contentType).toBe('application/json')
      expect(deliveryMode).toBe(2)
      expect(headers).toEqual(webhook.headers)
      expect(Object.values(others).filter((value) => value !== undefined)).toEqual([])
    })
  })

  it('is read the same by py-amqp, an AMQP client that shares no code with ours', async () => {
    await declarePlannerQueue(broker.uri)
    const router = createRouter({ config, stream: openStream() })
    const webhook = signedWebhook({ deliveryId: 'python-1', action: 'queued', jobId: 3000 })
    expect((await router.request('/webhook', webhook.init)).status).toBe(200)
    const [read, ...rest] = await readWithPython(broker.port)
    expect(rest).toEqual([])
    expect(Buffer.from(read!.body, 'base64').toString('utf8')).toBe(webhook.body)
    expect(read).toMatchObject({
      exchange: GATEWAY_EXCHANGE,
      routing_key: GATEWAY_ROUTING_KEY,
      content_type: 'application/json',
      delivery_mode: 2,
      headers: webhook.headers,
      other_properties: [],
    })
  })

  it('publishes a redelivered webhook once, also after a restart, from the SQLite ledger', async () => {
    await declarePlannerQueue(broker.uri)
    const first = openStream('restart.sqlite')
    const webhook = () => signedWebhook({ deliveryId: 'dedup-1', jobId: 4000 }).init
    expect(
      (await createRouter({ config, stream: first }).request('/webhook', webhook())).status,
    ).toBe(200)
    await first.close()
    const second = createRouter({ config, stream: openStream('restart.sqlite') })
    const again = await second.request('/webhook', webhook())
    expect(again.status).toBe(200)
    expect(again.headers.get('x-webhook-router-outcome')).toBe('duplicate_delivery')
    // A second `queued` of the same job under a new delivery id (an approval wait) is one too.
    const approval = await second.request(
      '/webhook',
      signedWebhook({ deliveryId: 'dedup-2', jobId: 4000 }).init,
    )
    expect(approval.headers.get('x-webhook-router-outcome')).toBe('duplicate_job')
    expect(await drainPlannerQueue(broker.uri)).toHaveLength(1)
  })

  it('lands one webhook in the kombu queue and on the exchange in the both mode', async () => {
    await declarePlannerQueue(broker.uri)
    const queue: JobQueue = createSqliteQueue({ path: join(dir, 'kombu.sqlite') })
    opened.push(queue)
    await queue.migrate()
    const router = createRouter({ config, queue, stream: openStream('both.sqlite') })
    const webhook = signedWebhook({ deliveryId: 'both-1', jobId: 5000, labels: ['small'] })
    const response = await router.request('/webhook', webhook.init)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-webhook-router-flavour')).toBe('small')
    const [kombu] = await queue.peek('small', 10)
    expect(JSON.parse(decodeKombuPayload(kombu!.body) ?? kombu!.body)).toMatchObject({
      status: 'queued',
      labels: ['small'],
    })
    const [message] = await drainPlannerQueue(broker.uri)
    expect(message?.content.toString('utf8')).toBe(webhook.body)
    // `in_progress` reaches the stream only: the kombu consumers take queued jobs.
    const progress = signedWebhook({ deliveryId: 'both-2', jobId: 5000, action: 'in_progress' })
    expect((await router.request('/webhook', progress.init)).status).toBe(200)
    expect(await queue.peek('small', 10)).toHaveLength(1)
    expect(await drainPlannerQueue(broker.uri)).toHaveLength(1)
  })

  it('answers 503 within the bound while the broker is killed, recovers on its own and loses nothing it accepted', async () => {
    await declarePlannerQueue(broker.uri)
    const router = createRouter({ config, stream: openStream('kill.sqlite') })
    const accepted: string[] = []
    const answers: { status: number; ms: number }[] = []
    let n = 0
    const send = async () => {
      const deliveryId = `kill-${n++}`
      const started = Date.now()
      const response = await router.request(
        '/webhook',
        signedWebhook({ deliveryId, jobId: 6000 + n }).init,
      )
      answers.push({ status: response.status, ms: Date.now() - started })
      if (response.status === 200) accepted.push(deliveryId)
      return response.status
    }
    for (let i = 0; i < 20; i++) expect(await send()).toBe(200)

    // Webhooks keep arriving while the broker dies.
    const killing = broker.kill()
    const during: Promise<number>[] = []
    for (let i = 0; i < 10; i++) during.push(send())
    await Promise.all([killing, ...during])
    expect(await send()).toBe(503)
    expect((await router.request('/health')).status).toBe(503)

    await broker.start()
    // Back on its own: no request is needed to reconnect, health turns 200 again.
    const deadline = Date.now() + 60_000
    while ((await router.request('/health')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the stream did not reconnect within 60 s')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    for (let i = 0; i < 5; i++) expect(await send()).toBe(200)

    // Every 503 came within the publish bound (plus slack for a starved machine), under
    // GitHub's 10 s delivery timeout.
    for (const answer of answers.filter((a) => a.status === 503)) {
      expect(answer.ms).toBeLessThan(9000)
    }
    const stored = (await drainPlannerQueue(broker.uri)).map((m) =>
      String(m.properties.headers?.['X-GitHub-Delivery']),
    )
    for (const id of accepted) expect(stored).toContain(id)
  }, 180_000)
})

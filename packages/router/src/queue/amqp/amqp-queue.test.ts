import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { QueueUnavailableError } from '../port.js'
import type { WebhookPublishRequest } from '../port.js'
import { AmqpUnroutableError, createAmqpQueue } from './amqp-queue.js'
import { createMemoryDedupLedger } from './dedup-ledger.js'
import { createSqliteDedupLedger } from './sqlite-dedup-ledger.js'
import type {
  AmqpConfirmChannel,
  AmqpConnect,
  AmqpConnection,
  AmqpInspectChannel,
  AmqpPublishOptions,
} from './transport.js'

// An in-process double of the AMQP client slice (transport.ts): connects fail or succeed on
// command, publishes wait for the confirm the test gives.
interface FakePublish {
  readonly exchange: string
  readonly routingKey: string
  readonly content: Buffer
  readonly options: AmqpPublishOptions
  ack(): void
  nack(): void
  /** The broker's basic.return, then its ack, as RabbitMQ sends them for an unroutable message. */
  returnThenAck(): void
}

class FakeBroker {
  /** Whether the next connect succeeds. */
  up = true
  connects = 0
  readonly publishes: FakePublish[] = []
  current: { connection: EventEmitter; channel: EventEmitter } | undefined
  /** Confirm every publish at once. */
  autoAck = false

  readonly connect: AmqpConnect = () => {
    this.connects += 1
    if (!this.up) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5672'))
    const connection = new EventEmitter()
    const channel = new EventEmitter()
    this.current = { connection, channel }
    const confirmChannel: AmqpConfirmChannel = {
      assertExchange: () => Promise.resolve({}),
      publish: (exchange, routingKey, content, options, callback) => {
        const publish: FakePublish = {
          exchange,
          routingKey,
          content,
          options,
          ack: () => callback(null),
          nack: () => callback(new Error('message nacked')),
          returnThenAck: () => {
            channel.emit('return', { content, properties: { headers: options.headers } })
            callback(null)
          },
        }
        this.publishes.push(publish)
        if (this.autoAck) queueMicrotask(() => publish.ack())
        return true
      },
      close: () => Promise.resolve(),
      on: (event: string, listener: (...args: never[]) => void) =>
        channel.on(event, listener as (...args: unknown[]) => void),
    }
    const inspect: AmqpInspectChannel = {
      checkExchange: () => Promise.resolve({}),
      checkQueue: (name) =>
        name === 'github-workflow-jobs'
          ? Promise.resolve({ messageCount: 7, consumerCount: 1 })
          : Promise.reject(new Error('NOT_FOUND')),
      close: () => Promise.resolve(),
      on: () => undefined,
    }
    const api: AmqpConnection = {
      createConfirmChannel: () => Promise.resolve(confirmChannel),
      createChannel: () => Promise.resolve(inspect),
      close: () => Promise.resolve(),
      on: (event: string, listener: (...args: never[]) => void) =>
        connection.on(event, listener as (...args: unknown[]) => void),
    }
    return Promise.resolve(api)
  }

  /** The broker goes away: the connection closes, and further connects fail. */
  crash(): void {
    this.up = false
    this.current?.connection.emit('error', new Error('read ECONNRESET'))
    this.current?.connection.emit('close', new Error('read ECONNRESET'))
    this.current = undefined
  }
}

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>()
  let next = 1
  return {
    setTimeout(callback: () => void, ms: number) {
      const id = next++
      pending.set(id, { callback, ms })
      return id
    },
    clearTimeout(handle: unknown) {
      pending.delete(handle as number)
    },
    delays: () => [...pending.values()].map((t) => t.ms),
    fireAll() {
      const due = [...pending.entries()]
      pending.clear()
      for (const [, timer] of due) timer.callback()
    },
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

function request(overrides: Partial<WebhookPublishRequest> = {}): WebhookPublishRequest {
  const headers: Record<string, string> = {
    'x-github-event': 'workflow_job',
    'x-github-delivery': overrides.deliveryId ?? 'delivery-1',
    'x-github-hook-id': '77',
  }
  return {
    body: new TextEncoder().encode('{"action":"queued"}'),
    header: (name) => headers[name],
    action: 'queued',
    deliveryId: 'delivery-1',
    jobId: 42,
    ...overrides,
  }
}

function setup(options: { refuseUnroutable?: boolean } = {}) {
  const broker = new FakeBroker()
  const timers = manualTimers()
  const queue = createAmqpQueue({
    uri: 'amqp://router:s3cret@rabbit.internal:5672/%2F',
    dedup: createMemoryDedupLedger({ retentionMs: 60_000 }),
    connect: broker.connect,
    timers,
    backoff: { initialMs: 100, maxMs: 400 },
    ...options,
  })
  return { broker, timers, queue }
}

describe('createAmqpQueue', () => {
  it('never shows the password in its location', () => {
    expect(setup().queue.location).toBe('amqp://router:***@rabbit.internal:5672/%2F')
  })

  it("publishes the gateway's exchange, routing key and properties, mandatory", async () => {
    const { broker, queue } = setup()
    const pending = queue.publish(request())
    await flush()
    const [publish] = broker.publishes
    expect(publish?.exchange).toBe('github-workflow-jobs')
    expect(publish?.routingKey).toBe('workflow-job')
    expect(publish?.content.toString()).toBe('{"action":"queued"}')
    expect(publish?.options).toEqual({
      contentType: 'application/json',
      deliveryMode: 2,
      mandatory: true,
      headers: {
        'X-GitHub-Event': 'workflow_job',
        'X-GitHub-Hook-ID': '77',
        'X-GitHub-Delivery': 'delivery-1',
        'X-GitHub-Hook-Installation-Target-Type': '',
        'X-GitHub-Hook-Installation-Target-ID': '',
      },
    })
    publish?.ack()
    await expect(pending).resolves.toBe('queued')
  })

  it('answers queued only after the confirm, and not at all for a nack', async () => {
    const { broker, queue } = setup()
    let settled = false
    const pending = queue.publish(request()).finally(() => (settled = true))
    await flush()
    expect(settled).toBe(false)
    broker.publishes[0]?.nack()
    await expect(pending).rejects.toBeInstanceOf(QueueUnavailableError)
  })

  it('refuses a message the broker returned as unroutable, and does not remember it', async () => {
    const { broker, queue } = setup()
    const pending = queue.publish(request())
    await flush()
    broker.publishes[0]?.returnThenAck()
    await expect(pending).rejects.toBeInstanceOf(AmqpUnroutableError)
    const retry = queue.publish(request())
    await flush()
    broker.publishes[1]?.ack()
    await expect(retry).resolves.toBe('queued')
  })

  it('publishes without mandatory when told to drop unroutable messages as the gateway does', async () => {
    const { broker, queue } = setup({ refuseUnroutable: false })
    const pending = queue.publish(request())
    await flush()
    expect(broker.publishes[0]?.options.mandatory).toBe(false)
    broker.publishes[0]?.ack()
    await expect(pending).resolves.toBe('queued')
  })

  it('remembers what it published: a redelivery and a second queued of the job are duplicates', async () => {
    const { broker, queue } = setup()
    broker.autoAck = true
    await expect(queue.publish(request())).resolves.toBe('queued')
    await expect(queue.publish(request())).resolves.toBe('duplicate-delivery')
    await expect(queue.publish(request({ deliveryId: 'delivery-2' }))).resolves.toBe(
      'duplicate-job',
    )
    await expect(
      queue.publish(request({ deliveryId: 'delivery-3', action: 'in_progress' })),
    ).resolves.toBe('queued')
    expect(broker.publishes).toHaveLength(2)
  })

  it('fails the publishes waiting for a confirm as soon as the connection drops', async () => {
    const { broker, queue } = setup()
    const pending = queue.publish(request())
    await flush()
    broker.crash()
    await expect(pending).rejects.toThrow(/not confirmed: the connection to RabbitMQ closed/)
  })

  it('rejects at once while the broker is away, and reconnects with doubling waits on its own', async () => {
    const { broker, timers, queue } = setup()
    broker.up = false
    await expect(queue.checkWritable()).rejects.toThrow(/unavailable: Error: connect ECONNREFUSED/)
    expect(timers.delays()).toEqual([100])
    await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
    expect(broker.connects).toBe(1)
    timers.fireAll()
    await flush()
    timers.fireAll()
    await flush()
    expect(timers.delays()).toEqual([400])
    timers.fireAll()
    await flush()
    expect(timers.delays()).toEqual([400])
    broker.up = true
    timers.fireAll()
    await flush()
    await expect(queue.checkWritable()).resolves.toBeUndefined()
    expect(queue.linkState()).toEqual({ kind: 'open', blocked: false })
  })

  it('is unhealthy while the broker blocks publishers', async () => {
    const { broker, queue } = setup()
    await queue.migrate()
    broker.current?.connection.emit('blocked', 'low on memory')
    await expect(queue.checkWritable()).rejects.toThrow(/blocks publishers/)
    broker.current?.connection.emit('unblocked')
    await expect(queue.checkWritable()).resolves.toBeUndefined()
  })

  it('stops waiting when the caller gives up, and still remembers a late confirm', async () => {
    const { broker, queue } = setup()
    const controller = new AbortController()
    const pending = queue.publish(request(), { signal: controller.signal })
    await flush()
    controller.abort(new Error('timed out after 5000 ms'))
    await expect(pending).rejects.toThrow(/timed out/)
    broker.publishes[0]?.ack()
    await flush()
    await expect(queue.publish(request())).resolves.toBe('duplicate-delivery')
  })

  it('shows the planner queue and its dead-letter queue in depth', async () => {
    const { queue } = setup()
    await expect(queue.depth()).resolves.toEqual({ 'github-workflow-jobs': 7 })
    await expect(queue.inspect()).resolves.toEqual({
      exchange: 'github-workflow-jobs',
      exchangeDeclared: true,
      queues: [
        { name: 'github-workflow-jobs', messages: 7, consumers: 1 },
        { name: 'github-workflow-jobs-dlq' },
      ],
    })
  })

  it('does not offer peek: a broker queue cannot be read without consuming it', async () => {
    await expect(setup().queue.peek('github-workflow-jobs', 1)).rejects.toThrow(/not supported/)
  })

  it('cancels the pending reconnect on close', async () => {
    const { broker, timers, queue } = setup()
    broker.up = false
    await expect(queue.checkWritable()).rejects.toThrow()
    await queue.close()
    expect(timers.delays()).toEqual([])
    await expect(queue.checkWritable()).rejects.toThrow(/closed/)
  })
})

describe('createSqliteDedupLedger', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('keeps its records across a reopen and forgets them after the retention', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    let now = 1_000_000
    const open = () =>
      createSqliteDedupLedger({
        path: join(dir!, 'ledger.sqlite'),
        retentionMs: 1000,
        clock: () => now,
      })
    const first = open()
    await first.remember({ deliveryId: 'd1', jobKey: '7:queued' })
    await first.close()
    const second = open()
    await expect(second.check({ deliveryId: 'd1' })).resolves.toBe('duplicate-delivery')
    await expect(second.check({ deliveryId: 'd2', jobKey: '7:queued' })).resolves.toBe(
      'duplicate-job',
    )
    await expect(second.check({ deliveryId: 'd2', jobKey: '7:completed' })).resolves.toBe('new')
    now += 1001
    await expect(second.check({ deliveryId: 'd1' })).resolves.toBe('new')
    await second.close()
  })

  it('sees a record at once, before the batch it belongs to is committed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const ledger = createSqliteDedupLedger({ path: join(dir, 'l.sqlite'), retentionMs: 60_000 })
    const remembered = ledger.remember({ deliveryId: 'd1' })
    await expect(ledger.check({ deliveryId: 'd1' })).resolves.toBe('duplicate-delivery')
    await remembered
    await ledger.close()
    const reopened = createSqliteDedupLedger({ path: join(dir, 'l.sqlite'), retentionMs: 60_000 })
    await expect(reopened.check({ deliveryId: 'd1' })).resolves.toBe('duplicate-delivery')
    await reopened.close()
  })

  it('fails its health check while another connection holds the write lock', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const path = join(dir, 'l.sqlite')
    const ledger = createSqliteDedupLedger({ path, retentionMs: 60_000 })
    await expect(ledger.checkWritable()).resolves.toBeUndefined()
    const holder = new Database(path)
    holder.exec('BEGIN EXCLUSIVE')
    try {
      await expect(ledger.checkWritable()).rejects.toThrow(/dedup ledger at .*locked/)
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
    }
    await expect(ledger.checkWritable()).resolves.toBeUndefined()
    await ledger.close()
  })

  it('reports an unusable file as unavailable, naming it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    writeFileSync(join(dir, 'file'), '')
    const path = join(dir, 'file', 'ledger.sqlite')
    const ledger = createSqliteDedupLedger({ path, retentionMs: 1 })
    await expect(ledger.checkWritable()).rejects.toThrow(`dedup ledger at ${path}`)
    await expect(ledger.check({ deliveryId: 'd1' })).rejects.toBeInstanceOf(QueueUnavailableError)
  })
})

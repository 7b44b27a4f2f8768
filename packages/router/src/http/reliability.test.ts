import { describe, expect, it } from 'vitest'
import { defineRouterConfig } from '../config/router-config.js'
import type { Timers } from '../ports.js'
import { createMemoryQueue } from '../queue/memory.js'
import type { MemoryQueue } from '../queue/memory.js'
import type { JobQueue, PublishOutcome } from '../queue/port.js'
import { webhookRequestInit } from '../testing/webhook-request.js'
import { workflowJobPayload } from '../testing/workflow-job-payload.js'
import { createRouter, internalErrorText } from './router.js'

const config = defineRouterConfig({
  flavours: [{ name: 'large', labels: ['arm64', 'large'] }],
  defaultFlavour: 'large',
  publishTimeoutMs: 3000,
})

/** Timers that only fire when the test says so, and tell it when something is scheduled. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>()
  let nextHandle = 1
  let onSchedule: (() => void) | undefined
  const timers: Timers = {
    setTimeout(callback, ms) {
      const handle = nextHandle++
      pending.set(handle, { callback, ms })
      onSchedule?.()
      return handle
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    pending,
    scheduled: () => new Promise<void>((resolve) => (onSchedule = resolve)),
    fire(ms: number) {
      for (const [handle, timer] of [...pending]) {
        if (timer.ms !== ms) continue
        pending.delete(handle)
        timer.callback()
      }
    },
    fireAll() {
      for (const [handle, timer] of [...pending]) {
        pending.delete(handle)
        timer.callback()
      }
    },
  }
}

function setup(queue: JobQueue = createMemoryQueue()) {
  const clock = manualTimers()
  const app = createRouter({ config, queue, timers: clock.timers })
  const send = (deliveryId: string, jobId: number) =>
    app.request('/webhook', webhookRequestInit(workflowJobPayload({ jobId }), { deliveryId }))
  return { app, send, clock, queue }
}

describe('dedup', () => {
  it('answers duplicate delivery to a redelivered webhook and queues once', async () => {
    const { send, queue } = setup()
    expect((await send('guid-1', 1)).status).toBe(200)
    const again = await send('guid-1', 1)
    expect(again.status).toBe(200)
    expect(await again.text()).toBe('duplicate delivery')
    expect((queue as MemoryQueue).messages()).toHaveLength(1)
  })

  it('answers duplicate job to a second queued event of one job and queues once', async () => {
    const { send, queue } = setup()
    await send('guid-1', 7)
    const second = await send('guid-2', 7)
    expect(await second.text()).toBe('duplicate job')
    expect(second.headers.get('x-webhook-router-outcome')).toBe('duplicate_job')
    expect((queue as MemoryQueue).messages()).toHaveLength(1)
  })

  it('ignores a delivery id too long to be GitHub’s and still dedups by job id', async () => {
    const { send, queue } = setup()
    const long = 'g'.repeat(300)
    expect((await send(long, 9)).status).toBe(200)
    expect(await (await send(long, 10)).text()).toBe('')
    expect((queue as MemoryQueue).messages()).toHaveLength(2)
  })
})

describe('queue outages', () => {
  it('answers 503 while the queue is down, then queues the redelivery once it is back', async () => {
    const queue = createMemoryQueue()
    const { send } = setup(queue)
    queue.setAvailable(false)
    const failed = await send('guid-1', 1)
    expect(failed.status).toBe(503)
    expect(await failed.text()).toBe('Queue is unavailable; redeliver later.')
    queue.setAvailable(true)
    const redelivered = await send('guid-1', 1)
    expect(redelivered.status).toBe(200)
    expect(await redelivered.text()).toBe('')
    expect(queue.messages()).toHaveLength(1)
  })

  it('answers 503 when the queue does not answer within the publish timeout', async () => {
    const queue = createMemoryQueue()
    const { send, clock } = setup(queue)
    queue.setMode('hang')
    const scheduled = clock.scheduled()
    const pending = send('guid-1', 1)
    await scheduled
    // The publish bound: 3000 ms, plus at most the 50 ms window in which calls share a timer.
    expect([...clock.pending.values()].map((timer) => timer.ms).sort()).toEqual([3050, 50])
    clock.fireAll()
    const response = await pending
    expect(response.status).toBe(503)
    expect(await response.text()).toBe('Queue did not answer within 3000 ms; redeliver later.')
    expect(queue.messages()).toEqual([])
  })

  it('clears the publish timer once the queue answered and its window closed', async () => {
    const { send, clock } = setup()
    expect((await send('guid-1', 1)).status).toBe(200)
    clock.fire(50)
    expect(clock.pending.size).toBe(0)
  })

  it('dedups the redelivery of a job the queue stored after the router gave up', async () => {
    const memory = createMemoryQueue()
    let release = () => {}
    let firstWrite: Promise<PublishOutcome> | undefined
    const slowOnce: JobQueue = {
      ...memory,
      publish(request) {
        if (firstWrite !== undefined) return memory.publish(request)
        firstWrite = new Promise<void>((resolve) => (release = resolve)).then(() =>
          memory.publish(request),
        )
        return firstWrite
      },
    }
    const { send, clock } = setup(slowOnce)
    const scheduled = clock.scheduled()
    const pending = send('guid-1', 1)
    await scheduled
    clock.fireAll()
    expect((await pending).status).toBe(503)
    release()
    expect(await firstWrite).toBe('queued')
    expect(await (await send('guid-1', 1)).text()).toBe('duplicate delivery')
    expect(memory.messages()).toHaveLength(1)
  })

  it.each([
    ['rejects', () => Promise.reject(new Error('disk full'))],
    [
      'throws synchronously',
      () => {
        throw new TypeError('adapter bug')
      },
    ],
  ])('answers 503 when publish %s with an unexpected error', async (_, publish) => {
    const queue: JobQueue = { ...createMemoryQueue(), publish }
    const response = await setup(queue).send('guid-1', 1)
    expect(response.status).toBe(503)
    expect(await response.text()).toBe('Queue write failed; redeliver later.')
  })
})

describe('GET /health', () => {
  it('answers 200 with an empty body when the queue accepts writes', async () => {
    const response = await setup().app.request('/health')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('answers 503 with the reference text when the queue is down', async () => {
    const queue = createMemoryQueue()
    queue.setAvailable(false)
    const response = await setup(queue).app.request('/health')
    expect(response.status).toBe(503)
    expect(await response.text()).toBe('Router is not ready to forward jobs.')
  })

  it('answers 503 when the queue check hangs past the bound', async () => {
    const queue = createMemoryQueue()
    queue.setMode('hang')
    const { app, clock } = setup(queue)
    const scheduled = clock.scheduled()
    const pending = app.request('/health')
    await scheduled
    clock.fireAll()
    expect((await pending).status).toBe(503)
  })
})

describe('unexpected errors', () => {
  it('turns an error while reading the body into a logged 503, never a 500', async () => {
    const lines: string[] = []
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (message: string) => void lines.push(message),
    }
    const app = createRouter({ config, queue: createMemoryQueue(), logger })
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    const init = { ...webhookRequestInit(''), body, duplex: 'half' } as RequestInit
    const response = await app.request('/webhook', init)
    expect(response.status).toBe(503)
    expect(await response.text()).toBe(internalErrorText)
    expect(lines).toEqual(['unexpected router error'])
  })

  it('answers 503 when an injected effect throws mid-request', async () => {
    let calls = 0
    const clock = () => {
      calls += 1
      if (calls > 1) throw new Error('clock broke')
      return 0
    }
    const app = createRouter({ config, queue: createMemoryQueue(), clock })
    const response = await app.request('/webhook', webhookRequestInit(workflowJobPayload()))
    expect(response.status).toBe(503)
  })

  it('answers the same when a logger throws on every call', async () => {
    const explode = () => {
      throw new Error('log transport down')
    }
    const logger = { debug: explode, info: explode, warn: explode, error: explode }
    const app = createRouter({ config, queue: createMemoryQueue(), logger })
    const response = await app.request('/webhook', webhookRequestInit(workflowJobPayload()))
    expect(response.status).toBe(200)
  })
})

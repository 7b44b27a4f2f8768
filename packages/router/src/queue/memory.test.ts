import { describe, expect, it } from 'vitest'
import { createMemoryQueue } from './memory.js'
import { QueueUnavailableError } from './port.js'
import type { PublishRequest } from './port.js'

const job = { labels: ['arm64'], status: 'queued' as const, url: 'https://api.github.com/j/1' }
const request = (patch: Partial<PublishRequest> = {}): PublishRequest => ({
  flavour: 'large',
  job,
  deliveryId: 'd-1',
  jobId: 1,
  ...patch,
})

describe('createMemoryQueue', () => {
  it('stores the job JSON text in model order, per flavour', async () => {
    const queue = createMemoryQueue()
    expect(await queue.publish(request())).toBe('queued')
    expect(queue.messages('large')).toEqual([
      {
        id: '1',
        flavour: 'large',
        body: '{"labels":["arm64"],"status":"queued","url":"https://api.github.com/j/1"}',
      },
    ])
    expect(await queue.depth()).toEqual({ large: 1 })
    expect(await queue.peek('large', 5)).toHaveLength(1)
    expect(queue.take('large')?.id).toBe('1')
    expect(await queue.depth()).toEqual({})
  })

  it('answers duplicate-delivery for a redelivered webhook and stores nothing', async () => {
    const queue = createMemoryQueue()
    await queue.publish(request())
    expect(await queue.publish(request({ jobId: 2 }))).toBe('duplicate-delivery')
    expect(queue.messages()).toHaveLength(1)
  })

  it('answers duplicate-job for a second queued event of the same job', async () => {
    const queue = createMemoryQueue()
    await queue.publish(request())
    expect(await queue.publish(request({ deliveryId: 'd-2' }))).toBe('duplicate-job')
    expect(queue.messages()).toHaveLength(1)
  })

  it('forgets dedup keys once the retention has passed', async () => {
    let now = 0
    const queue = createMemoryQueue({ clock: () => now, dedupRetentionMs: 1000 })
    await queue.publish(request())
    now = 999
    expect(await queue.publish(request())).toBe('duplicate-delivery')
    now = 1000
    expect(await queue.publish(request())).toBe('queued')
  })

  it('publishes jobs without dedup keys every time', async () => {
    const queue = createMemoryQueue()
    const bare = request({ deliveryId: undefined, jobId: undefined })
    expect([await queue.publish(bare), await queue.publish(bare)]).toEqual(['queued', 'queued'])
  })

  it('rejects every call with QueueUnavailableError while unavailable, then recovers', async () => {
    const queue = createMemoryQueue()
    queue.setAvailable(false)
    await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
    await expect(queue.checkWritable()).rejects.toBeInstanceOf(QueueUnavailableError)
    queue.setAvailable(true)
    await expect(queue.checkWritable()).resolves.toBeUndefined()
    expect(await queue.publish(request())).toBe('queued')
  })

  it('hangs in hang mode until the signal aborts, storing nothing', async () => {
    const queue = createMemoryQueue()
    queue.setMode('hang')
    const controller = new AbortController()
    const pending = queue.publish(request(), { signal: controller.signal })
    controller.abort(new Error('publish timeout'))
    await expect(pending).rejects.toThrow('memory queue publish was aborted')
    expect(queue.messages()).toEqual([])
  })

  it('refuses work after close', async () => {
    const queue = createMemoryQueue()
    await queue.close()
    await queue.close()
    await expect(queue.migrate()).rejects.toThrow('memory queue is closed')
  })
})

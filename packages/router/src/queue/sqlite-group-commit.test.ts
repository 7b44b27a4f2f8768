import { describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'
import { MAX_GROUP_COMMIT_BATCH, createGroupCommitter } from './sqlite-group-commit.js'
import type { GroupCommitOptions } from './sqlite-group-commit.js'

function manualSchedule() {
  const queued: (() => void)[] = []
  return {
    schedule: (flush: () => void) => void queued.push(flush),
    tick: () => {
      for (const flush of queued.splice(0)) flush()
    },
    get pending() {
      return queued.length
    },
  }
}

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })

function committer(overrides: Partial<GroupCommitOptions<string, string>> = {}) {
  const clock = manualSchedule()
  const batches: string[][] = []
  const group = createGroupCommitter<string, string>({
    commit: (items) => {
      batches.push([...items])
      return items.map((item) => `${item}:ok`)
    },
    what: 'write',
    budgetMs: 1000,
    sleep: async () => {},
    schedule: clock.schedule,
    ...overrides,
  })
  return { group, batches, clock }
}

const settled = async <T>(promise: Promise<T>) => {
  let state = 'pending'
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  )
  await Promise.resolve()
  await Promise.resolve()
  return state
}

describe('createGroupCommitter', () => {
  it('commits everything submitted before the scheduled flush in one batch, in order', async () => {
    const { group, batches, clock } = committer()
    const results = Promise.all(['a', 'b', 'c'].map((item) => group.submit(item)))
    expect(clock.pending).toBe(1)
    clock.tick()
    expect(await results).toEqual(['a:ok', 'b:ok', 'c:ok'])
    expect(batches).toEqual([['a', 'b', 'c']])
  })

  it('resolves nobody before the batch is committed', async () => {
    const { group, clock } = committer()
    const result = group.submit('a')
    expect(await settled(result)).toBe('pending')
    clock.tick()
    expect(await result).toBe('a:ok')
  })

  it(`splits a backlog larger than ${MAX_GROUP_COMMIT_BATCH} over consecutive batches`, async () => {
    const { group, batches, clock } = committer()
    const items = Array.from({ length: MAX_GROUP_COMMIT_BATCH + 10 }, (_, i) => `i${i}`)
    const results = Promise.all(items.map((item) => group.submit(item)))
    clock.tick()
    clock.tick()
    expect((await results).length).toBe(items.length)
    expect(batches.map((batch) => batch.length)).toEqual([MAX_GROUP_COMMIT_BATCH, 10])
  })

  it('retries each item alone when a batch fails, so only the bad item fails', async () => {
    const { group, batches, clock } = committer({
      commit: (items) => {
        batches.push([...items])
        if (items.includes('bad')) throw new TypeError('bad item')
        return items.map((item) => `${item}:ok`)
      },
    })
    const results = ['a', 'bad', 'c'].map((item) => group.submit(item))
    clock.tick()
    const outcomes = await Promise.allSettled(results)
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ])
    expect(outcomes[1]).toMatchObject({ reason: new TypeError('bad item') })
    expect(batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']])
  })

  it('retries a locked batch with backoff and commits it once the lock is released', async () => {
    let attempts = 0
    const waits: number[] = []
    const { group, clock } = committer({
      commit: (items) => {
        attempts += 1
        if (attempts < 3) throw busy()
        return items.map((item) => `${item}:ok`)
      },
      sleep: async (ms) => void waits.push(ms),
    })
    const results = Promise.all([group.submit('a'), group.submit('b')])
    clock.tick()
    expect(await results).toEqual(['a:ok', 'b:ok'])
    expect(waits).toEqual([5, 10])
  })

  it('rejects every caller of a batch that stays locked with QueueUnavailableError within the budget', async () => {
    const waits: number[] = []
    const { group, clock } = committer({
      commit: () => {
        throw busy()
      },
      budgetMs: 300,
      sleep: async (ms) => void waits.push(ms),
      now: () => 0,
    })
    const results = [group.submit('a'), group.submit('b')]
    clock.tick()
    for (const result of results) {
      await expect(result).rejects.toThrow(
        'write: database is locked by another connection (gave up after 300 ms)',
      )
      await expect(result).rejects.toBeInstanceOf(QueueUnavailableError)
    }
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(300)
  })

  it('rejects a caller aborted before the commit at once and leaves its item out', async () => {
    const { group, batches, clock } = committer()
    const controller = new AbortController()
    const dropped = group.submit('a', controller.signal)
    const kept = group.submit('b')
    controller.abort(new Error('deadline'))
    await expect(dropped).rejects.toThrow('write: aborted while waiting for the database')
    clock.tick()
    expect(await kept).toBe('b:ok')
    expect(batches).toEqual([['b']])
  })

  it('rejects a caller whose signal is already aborted without scheduling anything', async () => {
    const { group, clock } = committer()
    await expect(group.submit('a', AbortSignal.abort())).rejects.toBeInstanceOf(
      QueueUnavailableError,
    )
    expect(clock.pending).toBe(0)
  })

  it('leaves out an item whose caller aborts while the batch waits for a lock', async () => {
    const controller = new AbortController()
    const batches: string[][] = []
    let locked = true
    const { group, clock } = committer({
      commit: (items) => {
        if (locked) throw busy()
        batches.push([...items])
        return items.map((item) => `${item}:ok`)
      },
      sleep: async () => {
        controller.abort(new Error('deadline'))
        locked = false
      },
    })
    const dropped = group.submit('a', controller.signal)
    const kept = group.submit('b')
    clock.tick()
    await expect(dropped).rejects.toThrow(/aborted/)
    expect(await kept).toBe('b:ok')
    expect(batches).toEqual([['b']])
  })

  it('commits waiting items when drained, without waiting for the schedule', async () => {
    const { group, batches } = committer()
    const results = Promise.all([group.submit('a'), group.submit('b')])
    await group.drain()
    expect(await results).toEqual(['a:ok', 'b:ok'])
    expect(batches).toEqual([['a', 'b']])
  })

  it('drains only once a batch waiting for a lock has settled', async () => {
    let release = () => {}
    let locked = true
    const { group, clock } = committer({
      commit: (items) => {
        if (locked) throw busy()
        return items.map((item) => `${item}:ok`)
      },
      sleep: () =>
        new Promise<void>((resolve) => {
          release = () => {
            locked = false
            resolve()
          }
        }),
    })
    const result = group.submit('a')
    clock.tick()
    const drained = group.drain()
    expect(await settled(drained)).toBe('pending')
    release()
    await drained
    expect(await result).toBe('a:ok')
  })
})

import { describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'
import { isSqliteBusy, timerSleep, toQueueError, withBusyRetry } from './sqlite-busy.js'

function sqliteError(code: string, message = 'database is locked'): Error {
  return Object.assign(new Error(message), { code })
}

describe('withBusyRetry', () => {
  it('retries lock contention and returns the first success', async () => {
    let calls = 0
    const result = await withBusyRetry(
      'write',
      () => {
        calls += 1
        if (calls < 3) throw sqliteError('SQLITE_BUSY')
        return 'done'
      },
      { budgetMs: 1000, sleep: async () => {} },
    )
    expect([result, calls]).toEqual(['done', 3])
  })

  it('gives up with QueueUnavailableError once the budget is spent, sleeping with backoff', async () => {
    const waits: number[] = []
    const failure = withBusyRetry(
      'write',
      () => {
        throw sqliteError('SQLITE_BUSY')
      },
      { budgetMs: 250, sleep: async (ms) => void waits.push(ms), now: () => 0 },
    )
    await expect(failure).rejects.toThrow(
      'write: database is locked by another connection (gave up after 250 ms)',
    )
    expect(waits.slice(0, 4)).toEqual([5, 10, 20, 40])
    expect(waits.every((ms) => ms <= 100)).toBe(true)
  })

  it('stops when real elapsed time passes the budget even if sleeps return at once', async () => {
    let now = 0
    let calls = 0
    const failure = withBusyRetry(
      'write',
      () => {
        calls += 1
        now += 500
        throw sqliteError('SQLITE_LOCKED_SHAREDCACHE')
      },
      { budgetMs: 1000, sleep: async () => {}, now: () => now },
    )
    await expect(failure).rejects.toBeInstanceOf(QueueUnavailableError)
    expect(calls).toBe(2)
  })

  it('maps other SQLite errors to QueueUnavailableError without retrying', async () => {
    let calls = 0
    const failure = withBusyRetry(
      'write',
      () => {
        calls += 1
        throw sqliteError('SQLITE_FULL', 'database or disk is full\nmore detail')
      },
      { budgetMs: 1000, sleep: async () => {} },
    )
    await expect(failure).rejects.toThrow(/^write: database or disk is full \(SQLITE_FULL\)$/)
    expect(calls).toBe(1)
  })

  it('passes through errors that do not come from SQLite', async () => {
    const bug = new TypeError('bug')
    await expect(
      withBusyRetry(
        'write',
        () => {
          throw bug
        },
        { budgetMs: 1000, sleep: async () => {} },
      ),
    ).rejects.toBe(bug)
  })

  it('rejects as aborted when the signal aborts during a wait', async () => {
    const controller = new AbortController()
    const failure = withBusyRetry(
      'write',
      () => {
        throw sqliteError('SQLITE_BUSY')
      },
      {
        budgetMs: 10_000,
        signal: controller.signal,
        sleep: (ms, signal) => {
          controller.abort(new Error('deadline'))
          return timerSleep(ms, signal)
        },
      },
    )
    await expect(failure).rejects.toThrow('write: aborted while waiting for the database')
  })
})

describe('sqlite error helpers', () => {
  it('treats BUSY and LOCKED codes, extended ones included, as contention', () => {
    expect(isSqliteBusy(sqliteError('SQLITE_BUSY_SNAPSHOT'))).toBe(true)
    expect(isSqliteBusy(sqliteError('SQLITE_LOCKED'))).toBe(true)
    expect(isSqliteBusy(sqliteError('SQLITE_READONLY'))).toBe(false)
    expect(isSqliteBusy(new Error('SQLITE_BUSY'))).toBe(false)
  })

  it('leaves a QueueUnavailableError unchanged', () => {
    const error = new QueueUnavailableError('x')
    expect(toQueueError(error, 'what')).toBe(error)
  })
})

describe('timerSleep', () => {
  it('rejects at once with the reason of an already aborted signal', async () => {
    const reason = new Error('gone')
    await expect(timerSleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason)
  })
})

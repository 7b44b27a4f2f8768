import { describe, expect, it } from 'vitest'

import { RedeliveryError } from './errors.js'
import type { RedeliveryReport } from './redeliver.js'
import { createRedeliveryScheduler } from './scheduler.js'
import type { SchedulerTimers } from './scheduler.js'

/** Timers driven by hand: `fire()` runs the pending callback. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>()
  let next = 0
  const timers: SchedulerTimers = {
    setTimeout(callback, ms) {
      next += 1
      pending.set(next, { callback, ms })
      return next
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    pending,
    fire() {
      const [id, entry] = [...pending.entries()][0] ?? []
      if (id === undefined || entry === undefined) throw new Error('no timer pending')
      pending.delete(id)
      entry.callback()
    },
  }
}

const report = (ids: number[]): RedeliveryReport => ({
  hook: { owner: 'o', hookId: 1 },
  since: new Date(0),
  dryRun: false,
  scanned: ids.length,
  pages: 1,
  redelivered: ids.map((id) => ({
    id,
    guid: undefined,
    deliveredAt: new Date(0),
    status: 'x',
    event: 'workflow_job',
    action: 'queued',
  })),
  skipped: [],
  failed: [],
})

function collectingLogger() {
  const lines: string[] = []
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

describe('createRedeliveryScheduler', () => {
  it('scans at start and again one interval after each scan settles', async () => {
    const clock = manualTimers()
    let runs = 0
    const scheduler = createRedeliveryScheduler({
      run: async () => {
        runs += 1
        return report([])
      },
      intervalMs: 60_000,
      timers: clock.timers,
      logger: collectingLogger().logger,
    })
    scheduler.start()
    await flush()
    expect(runs).toBe(1)
    expect([...clock.pending.values()].map((t) => t.ms)).toEqual([60_000])
    clock.fire()
    await flush()
    expect(runs).toBe(2)
    expect(clock.pending.size).toBe(1)
    await scheduler.stop()
  })

  it('never overlaps scans', async () => {
    let release: (() => void) | undefined
    let active = 0
    let maxActive = 0
    const scheduler = createRedeliveryScheduler({
      run: () => {
        active += 1
        maxActive = Math.max(maxActive, active)
        return new Promise<RedeliveryReport>((resolve) => {
          release = () => {
            active -= 1
            resolve(report([]))
          }
        })
      },
      intervalMs: 1,
      timers: manualTimers().timers,
      logger: collectingLogger().logger,
    })
    const first = scheduler.runOnce()
    const second = scheduler.runOnce()
    release?.()
    await Promise.all([first, second])
    expect(maxActive).toBe(1)
  })

  it('logs and counts a failing scan, then retries at the next interval', async () => {
    const clock = manualTimers()
    const { lines, logger } = collectingLogger()
    const failures: string[] = []
    const successes: number[] = []
    let call = 0
    const scheduler = createRedeliveryScheduler({
      run: async () => {
        call += 1
        if (call === 1) throw new RedeliveryError('rate-limited', 'slow down')
        return report([7])
      },
      intervalMs: 1000,
      timers: clock.timers,
      logger,
      now: () => 5_000,
      metrics: {
        scanFailed: (kind) => failures.push(kind),
        scanSucceeded: (r, at) => successes.push(r.redelivered.length, at),
      },
    })
    scheduler.start()
    await flush()
    expect(failures).toEqual(['rate-limited'])
    expect(lines).toEqual([
      'error redelivery scan failed; retrying at the next interval {"kind":"rate-limited","error":"slow down"}',
    ])
    clock.fire()
    await flush()
    expect(successes).toEqual([1, 5_000])
    expect(lines[1]).toBe(
      'info redelivery scan redelivered webhooks {"scanned":1,"redelivered":[7],"failed":[]}',
    )
    await scheduler.stop()
  })

  it('waits for the rate-limit reset when it is later than the next interval', async () => {
    const clock = manualTimers()
    const { lines, logger } = collectingLogger()
    const scheduler = createRedeliveryScheduler({
      run: async () => {
        throw new RedeliveryError('rate-limited', 'slow down', { resetAt: new Date(50_000) })
      },
      intervalMs: 1000,
      timers: clock.timers,
      logger,
      now: () => 10_000,
    })
    scheduler.start()
    await flush()
    expect([...clock.pending.values()].map((t) => t.ms)).toEqual([40_000])
    expect(lines[0]).toContain('"retry_not_before":"1970-01-01T00:00:50.000Z"')
    await scheduler.stop()
  })

  it('never waits more than an hour for a rate-limit reset', async () => {
    const clock = manualTimers()
    const scheduler = createRedeliveryScheduler({
      run: async () => {
        throw new RedeliveryError('rate-limited', 'slow down', { resetAt: new Date(9e12) })
      },
      intervalMs: 1000,
      timers: clock.timers,
      logger: collectingLogger().logger,
      now: () => 0,
    })
    scheduler.start()
    await flush()
    expect([...clock.pending.values()].map((t) => t.ms)).toEqual([3_600_000])
    await scheduler.stop()
  })

  it('counts an unexpected exception as "unexpected"', async () => {
    const failures: string[] = []
    const scheduler = createRedeliveryScheduler({
      run: () => {
        throw new TypeError('boom')
      },
      intervalMs: 1000,
      timers: manualTimers().timers,
      logger: collectingLogger().logger,
      metrics: { scanFailed: (kind) => failures.push(kind), scanSucceeded: () => {} },
    })
    await scheduler.runOnce()
    expect(failures).toEqual(['unexpected'])
  })

  it('stop() aborts the in-flight scan and schedules nothing more', async () => {
    const clock = manualTimers()
    const failures: string[] = []
    let seenSignal: AbortSignal | undefined
    const scheduler = createRedeliveryScheduler({
      run: (signal) => {
        seenSignal = signal
        return new Promise<RedeliveryReport>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason))
        })
      },
      intervalMs: 1000,
      timers: clock.timers,
      logger: collectingLogger().logger,
      metrics: { scanFailed: (kind) => failures.push(kind), scanSucceeded: () => {} },
    })
    scheduler.start()
    await scheduler.stop()
    await flush()
    expect(seenSignal?.aborted).toBe(true)
    expect(failures).toEqual([])
    expect(clock.pending.size).toBe(0)
    await scheduler.runOnce()
    expect(clock.pending.size).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import type { Timers } from '../ports.js'
import { createBoundedCalls, withinTimeout } from './bounded.js'

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>()
  let next = 1
  const timers: Timers = {
    setTimeout(callback, ms) {
      pending.set(next, { callback, ms })
      return next++
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  const fire = (ms: number) => {
    for (const [handle, timer] of [...pending]) {
      if (timer.ms !== ms) continue
      pending.delete(handle)
      timer.callback()
    }
  }
  return { timers, pending, fire, delays: () => [...pending.values()].map((t) => t.ms).sort() }
}

const hang = () => new Promise<never>(() => {})

describe('createBoundedCalls', () => {
  it('gives the calls of one window one signal and one expiry timer', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    const signals: AbortSignal[] = []
    const results = await Promise.all(
      [1, 2, 3].map((n) => bounded(async (signal) => (signals.push(signal), n))),
    )
    expect(results).toEqual([1, 2, 3].map((value) => ({ kind: 'done', value })))
    expect(new Set(signals).size).toBe(1)
    expect(clock.delays()).toEqual([50, 5050])
  })

  it('opens a new window, with a new signal, once the last one closed', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    let first: AbortSignal | undefined
    let second: AbortSignal | undefined
    await bounded(async (signal) => (first = signal))
    clock.fire(50)
    await bounded(async (signal) => (second = signal))
    expect(second).toBeDefined()
    expect(second).not.toBe(first)
  })

  it('settles a call that never answers as a timeout and aborts its signal with the reason', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    let seen: AbortSignal | undefined
    const result = bounded((signal) => ((seen = signal), hang()))
    clock.fire(50)
    clock.fire(5050)
    expect(await result).toEqual({ kind: 'timeout' })
    expect(seen?.aborted).toBe(true)
    expect(String(seen?.reason)).toContain('timed out after 5000 ms')
  })

  it('leaves no timer behind once the window closed and every call settled', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    await bounded(async () => 'ok')
    clock.fire(50)
    expect(clock.pending.size).toBe(0)
  })

  it('keeps the expiry while a call of a closed window still waits', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    let answer: (value: string) => void = () => {}
    const slow = bounded(() => new Promise<string>((resolve) => (answer = resolve)))
    clock.fire(50)
    expect(clock.delays()).toEqual([5050])
    answer('late but in time')
    expect(await slow).toEqual({ kind: 'done', value: 'late but in time' })
    expect(clock.pending.size).toBe(0)
  })

  it('lets every call of a window listen to the shared signal without a leak warning', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const listen = async (signal: AbortSignal) => signal.addEventListener('abort', () => {})
      await Promise.all(Array.from({ length: 30 }, () => bounded(listen)))
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
  })

  it('reports a call that throws synchronously, or rejects, as failed', async () => {
    const clock = manualTimers()
    const bounded = createBoundedCalls(5000, clock.timers, 50)
    const thrown = new Error('thrown')
    const rejected = new Error('rejected')
    expect(
      await bounded(() => {
        throw thrown
      }),
    ).toEqual({ kind: 'failed', error: thrown })
    expect(await bounded(() => Promise.reject(rejected))).toEqual({
      kind: 'failed',
      error: rejected,
    })
  })
})

describe('withinTimeout', () => {
  it('settles a hung call as a timeout when its own timer fires, and aborts its signal', async () => {
    const clock = manualTimers()
    let seen: AbortSignal | undefined
    const result = withinTimeout((signal) => ((seen = signal), hang()), 2000, clock.timers)
    clock.fire(2000)
    expect(await result).toEqual({ kind: 'timeout' })
    expect(seen?.aborted).toBe(true)
  })

  it('clears its timer when the call answers', async () => {
    const clock = manualTimers()
    expect(await withinTimeout(async () => 7, 2000, clock.timers)).toEqual({
      kind: 'done',
      value: 7,
    })
    expect(clock.pending.size).toBe(0)
  })
})

import { setMaxListeners } from 'node:events'
import type { Timers } from '../ports.js'

/** How a bounded call ended. */
export type BoundedResult<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'failed'; readonly error: unknown }

/**
 * Runs `call` with an abort signal that fires after `timeoutMs`, and settles by then whatever
 * the callee does: a store that stops answering cannot hold the request past GitHub's timeout.
 * A callee that throws synchronously is reported as `failed`, like one that rejects.
 */
export function withinTimeout<T>(
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  timers: Timers,
): Promise<BoundedResult<T>> {
  // One promise and one settle-once flag per call: this runs for every webhook, so no race of
  // two promises and no extra microtask hop before the call.
  return new Promise((resolve) => {
    const controller = new AbortController()
    let settled = false
    const handle = timers.setTimeout(() => {
      if (settled) return
      controller.abort(new Error(`timed out after ${timeoutMs} ms`))
      settle({ kind: 'timeout' })
    }, timeoutMs)
    function settle(result: BoundedResult<T>): void {
      if (settled) return
      settled = true
      timers.clearTimeout(handle)
      resolve(result)
    }
    startCall(call, controller.signal, settle)
  })
}

/** Calls `call` and reports how it ends; a synchronous throw counts as `failed`, like a rejection. */
function startCall<T>(
  call: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
  settle: (result: BoundedResult<T>) => void,
): void {
  let pending: Promise<T>
  try {
    pending = call(signal)
  } catch (error) {
    settle({ kind: 'failed', error })
    return
  }
  Promise.resolve(pending).then(
    (value) => settle({ kind: 'done', value }),
    (error: unknown) => settle({ kind: 'failed', error }),
  )
}

/** How long a time window stays open for new calls to join; see {@link createBoundedCalls}. */
export const BOUND_WINDOW_MS = 50

/** A bounded caller; see {@link createBoundedCalls}. */
export type BoundedCalls = <T>(
  call: (signal: AbortSignal) => Promise<T>,
) => Promise<BoundedResult<T>>

interface BoundWindow {
  readonly controller: AbortController
  readonly waiting: Set<(result: BoundedResult<never>) => void>
  open: boolean
  expiry: unknown
}

/**
 * Like {@link withinTimeout}, for a hot path: calls that start within the same
 * {@link BOUND_WINDOW_MS} share one `AbortSignal` and one timer, instead of an `AbortController`
 * and a timer each (about a tenth of the router's own CPU per webhook). Each call is bounded by
 * `timeoutMs` at least and `timeoutMs + windowMs` at most. A window's timer is cleared as soon
 * as it is closed and none of its calls is still waiting, so nothing keeps the process alive.
 *
 * @example
 * const bounded = createBoundedCalls(5000, systemTimers)
 * const result = await bounded((signal) => queue.publish(request, { signal }))
 */
export function createBoundedCalls(
  timeoutMs: number,
  timers: Timers,
  windowMs: number = BOUND_WINDOW_MS,
): BoundedCalls {
  let current: BoundWindow | undefined
  const timeout = { kind: 'timeout' } as const

  function release(window: BoundWindow): void {
    if (window.open || window.waiting.size > 0) return
    timers.clearTimeout(window.expiry)
  }

  function openWindow(): BoundWindow {
    const controller = new AbortController()
    // Every call of the window may listen to this one signal; that is not a leak.
    setMaxListeners(0, controller.signal)
    const window: BoundWindow = {
      controller,
      waiting: new Set(),
      open: true,
      expiry: undefined,
    }
    window.expiry = timers.setTimeout(() => {
      window.open = false
      window.controller.abort(new Error(`timed out after ${timeoutMs} ms`))
      for (const settle of [...window.waiting]) settle(timeout)
    }, timeoutMs + windowMs)
    timers.setTimeout(() => {
      window.open = false
      if (current === window) current = undefined
      release(window)
    }, windowMs)
    return window
  }

  return function bounded<T>(call: (signal: AbortSignal) => Promise<T>) {
    const window = current?.open ? current : (current = openWindow())
    return new Promise<BoundedResult<T>>((resolve) => {
      let settled = false
      const settle = (result: BoundedResult<T>) => {
        if (settled) return
        settled = true
        window.waiting.delete(settle)
        release(window)
        resolve(result)
      }
      window.waiting.add(settle)
      startCall(call, window.controller.signal, settle)
    })
  }
}

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
    let pending: Promise<T>
    try {
      pending = call(controller.signal)
    } catch (error) {
      settle({ kind: 'failed', error })
      return
    }
    Promise.resolve(pending).then(
      (value) => settle({ kind: 'done', value }),
      (error: unknown) => settle({ kind: 'failed', error }),
    )
  })
}

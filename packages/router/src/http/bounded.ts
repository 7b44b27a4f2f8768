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
export async function withinTimeout<T>(
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  timers: Timers,
): Promise<BoundedResult<T>> {
  const controller = new AbortController()
  let handle: unknown
  const timedOut = new Promise<BoundedResult<T>>((resolve) => {
    handle = timers.setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`))
      resolve({ kind: 'timeout' })
    }, timeoutMs)
  })
  const settled = Promise.resolve()
    .then(() => call(controller.signal))
    .then(
      (value): BoundedResult<T> => ({ kind: 'done', value }),
      (error: unknown): BoundedResult<T> => ({ kind: 'failed', error }),
    )
  try {
    return await Promise.race([settled, timedOut])
  } finally {
    timers.clearTimeout(handle)
  }
}

import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Starts listening and resolves with the bound port, or rejects (e.g. `EADDRINUSE`). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

export interface DrainResult {
  /** False when the deadline ran out and connections were cut. */
  readonly drained: boolean
}

/** The timer effects `drainAndClose` needs, injected so tests control the deadline. */
export interface DrainTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realTimers: DrainTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export interface DrainOptions {
  /**
   * How long the server keeps listening after the drain starts, answering every request with
   * `Connection: close`: connections already queued in the kernel, and requests a pooling proxy
   * sends on its open connections, get an answer instead of a reset.
   */
  readonly windowMs: number
  /** When the drain started, what is still open by then is cut. At least `windowMs`. */
  readonly timeoutMs: number
  readonly timers?: DrainTimers | undefined
}

/** Stops a server gracefully; see `makeDrainable`. */
export type Drain = (options: DrainOptions) => Promise<DrainResult>

/**
 * Prepares a server for a graceful stop and returns the function that performs it. Call it right
 * after creating the server, so every response is watched.
 *
 * Once the drain starts, every answer not yet sent carries `Connection: close` (those in flight
 * too), so no client puts a connection back in its pool that is about to close, and Node closes
 * each connection once its answer is out. For `windowMs` the server still listens; then it stops
 * listening and closes the idle keep-alive connections (a client that sent nothing for the whole
 * window). Requests already read are answered; what is still open at `timeoutMs` is cut.
 *
 * @example
 * const drain = makeDrainable(server)
 * // on SIGTERM:
 * const { drained } = await drain({ windowMs: 1000, timeoutMs: 4000 })
 */
export function makeDrainable(server: Server): Drain {
  let draining = false
  let listening = true
  const unanswered = new Set<ServerResponse>()
  // One shared listener (no closure per request); a response closes once it is sent or cut.
  function onClose(this: ServerResponse): void {
    unanswered.delete(this)
    if (!listening) server.closeIdleConnections()
  }
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader('connection', 'close')
    unanswered.add(res)
    res.on('close', onClose)
  })
  return ({ windowMs, timeoutMs, timers = realTimers }) =>
    new Promise((resolve) => {
      draining = true
      for (const res of unanswered) {
        if (!res.headersSent) res.setHeader('connection', 'close')
      }
      let drained = true
      const deadline = timers.setTimeout(
        () => {
          drained = false
          server.closeAllConnections()
        },
        Math.max(timeoutMs, windowMs),
      )
      timers.setTimeout(() => {
        listening = false
        server.close(() => {
          timers.clearTimeout(deadline)
          resolve({ drained })
        })
        server.closeIdleConnections()
      }, windowMs)
    })
}

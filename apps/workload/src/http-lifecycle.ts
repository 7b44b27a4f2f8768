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

/** Stops a server gracefully; see `makeDrainable`. */
export type Drain = (timeoutMs: number, timers?: DrainTimers) => Promise<DrainResult>

/**
 * Prepares a server for a graceful stop and returns the function that performs it. Call it right
 * after creating the server, so every response is watched: once draining, each finished response
 * closes its keep-alive socket at once, instead of holding the process until the client's idle
 * timeout. Responses started while draining also carry `connection: close`.
 *
 * The returned drain stops accepting connections, lets requests in flight finish, and cuts what
 * is still open when `timeoutMs` runs out.
 *
 * @example
 * const drain = makeDrainable(server)
 * // on SIGTERM:
 * const { drained } = await drain(4000)
 */
export function makeDrainable(server: Server): Drain {
  let draining = false
  // One shared listener, so watching responses costs no closure per request.
  function onFinish(): void {
    if (draining) server.closeIdleConnections()
  }
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining && !res.headersSent) res.setHeader('connection', 'close')
    res.once('finish', onFinish)
  })
  return (timeoutMs, timers = realTimers) =>
    new Promise((resolve) => {
      draining = true
      let drained = true
      const deadline = timers.setTimeout(() => {
        drained = false
        server.closeAllConnections()
      }, timeoutMs)
      server.close(() => {
        timers.clearTimeout(deadline)
        resolve({ drained })
      })
      server.closeIdleConnections()
    })
}

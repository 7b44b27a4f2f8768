import type { IncomingMessage, ServerResponse } from 'node:http'

/** Hands requests to their handler while the bytes of the bodies being read stay within a budget. */
export type BodyAdmission = (
  request: IncomingMessage,
  response: ServerResponse,
  handle: RequestHandler,
) => void

/** What runs a request once it is admitted. */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void

export interface BodyAdmissionOptions {
  /** Body bytes handlers may read at once. */
  readonly maxBytesInFlight: number
  /** Largest body a handler accepts; bodies declared larger are answered without being read. */
  readonly maxBodyBytes: number
}

/**
 * Admits requests to their handler in arrival order while the bodies they may read add up to
 * at most `maxBytesInFlight`. A request costs its declared `Content-Length` (0 when over
 * `maxBodyBytes`, which is refused unread), or `maxBodyBytes` when the length is not declared
 * (chunked). A request waiting here reads nothing: Node stops reading its socket after a few
 * KiB, so the client's bytes wait in the kernel, and the server's request timeout still bounds
 * the wait. One request is always admitted when nothing else is in flight, so a budget smaller
 * than one body cannot stall the server. The cost is returned when the response closes.
 *
 * @example
 * const admit = createBodyAdmission({ maxBytesInFlight: 4 << 20, maxBodyBytes: 1 << 20 })
 * createServer((req, res) => admit(req, res, handler))
 */
export function createBodyAdmission(options: BodyAdmissionOptions): BodyAdmission {
  const { maxBytesInFlight, maxBodyBytes } = options
  let inFlight = 0
  interface Waiting {
    readonly cost: number
    readonly request: IncomingMessage
    readonly response: ServerResponse
    readonly handle: RequestHandler
  }
  const waiting: Waiting[] = []

  const costs = new WeakMap<ServerResponse, number>()
  // One shared listener, so admitting a request allocates no closure.
  function release(this: ServerResponse): void {
    inFlight -= costs.get(this) ?? 0
    costs.delete(this)
    admitWaiting()
  }

  const start = ({ cost, request, response, handle }: Waiting) => {
    if (cost > 0) {
      inFlight += cost
      costs.set(response, cost)
      response.on('close', release)
    }
    handle(request, response)
  }

  const fits = (cost: number) => inFlight === 0 || inFlight + cost <= maxBytesInFlight

  function admitWaiting(): void {
    while (waiting.length > 0) {
      const next = waiting[0] as Waiting
      if (next.response.destroyed) {
        waiting.shift()
        continue
      }
      if (!fits(next.cost)) return
      waiting.shift()
      start(next)
    }
  }

  return (request, response, handle) => {
    const cost = bodyCost(request, maxBodyBytes)
    // Requests without a body to read (/health, a refused upload) never wait behind bodies.
    if (cost === 0 || (waiting.length === 0 && fits(cost))) {
      return start({ cost, request, response, handle })
    }
    waiting.push({ cost, request, response, handle })
  }
}

function bodyCost(request: IncomingMessage, maxBodyBytes: number): number {
  const declared = request.headers['content-length']
  if (declared !== undefined) {
    const length = Number(declared)
    if (!Number.isSafeInteger(length) || length > maxBodyBytes) return 0
    return length
  }
  return request.headers['transfer-encoding'] === undefined ? 0 : maxBodyBytes
}

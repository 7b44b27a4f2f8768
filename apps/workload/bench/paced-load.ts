// An open-loop load at a steady rate. autocannon's `overallRate` is not one: each connection
// sends its per-second quota back to back and then waits for the next second, so "1,000 req/s"
// arrives as one saturated burst per second and its p99 is the time to drain that burst. Here
// requests are spaced evenly (one per 1/rate s) and each latency is counted from the moment the
// request was due, so waiting for a free connection counts too (no coordinated omission).
import { Agent, request as httpRequest } from 'node:http'
import type { RequestData } from 'autocannon'

export interface PacedMeasure {
  readonly reqPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly ok: number
  readonly failed: number
}

export interface PacedLoadOptions {
  readonly url: string
  readonly path: string
  readonly rate: number
  readonly seconds: number
  readonly connections: number
  /** autocannon's `setupRequest`, so both loads send the same signed bodies. */
  readonly setupRequest: (request: RequestData) => RequestData
}

const REQUEST_TIMEOUT_MS = 10_000

/** Sends `rate × seconds` requests evenly spaced; resolves once every one has been answered. */
export function pacedLoad(options: PacedLoadOptions): Promise<PacedMeasure> {
  const { url, path, rate, seconds, connections, setupRequest } = options
  const target = new URL(url)
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const total = Math.round(rate * seconds)
  const intervalMs = 1000 / rate
  const latencies: number[] = []
  let sent = 0
  let finished = 0
  let failed = 0
  const started = performance.now()

  return new Promise((resolve) => {
    const done = () => {
      agent.destroy()
      const elapsedS = (performance.now() - started) / 1000
      latencies.sort((a, b) => a - b)
      const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
      resolve({
        reqPerSec: latencies.length / Math.max(elapsedS, seconds),
        p50Ms: Math.round(at(0.5) * 100) / 100,
        p99Ms: Math.round(at(0.99) * 100) / 100,
        ok: latencies.length,
        failed,
      })
    }
    const settle = (dueAt: number, ok: boolean) => {
      if (ok) latencies.push(performance.now() - dueAt)
      else failed += 1
      finished += 1
      if (finished === total) done()
    }
    const send = (dueAt: number) => {
      let answered = false
      const answer = (ok: boolean) => {
        if (answered) return
        answered = true
        settle(dueAt, ok)
      }
      const data = setupRequest({} as RequestData)
      const body = String(data.body ?? '')
      const outgoing = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path,
          headers: { ...data.headers, 'content-length': Buffer.byteLength(body) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (response) => {
          response.resume()
          response.once('end', () => answer((response.statusCode ?? 0) < 300))
          response.once('error', () => answer(false))
        },
      )
      outgoing.once('timeout', () => outgoing.destroy(new Error('timeout')))
      outgoing.once('error', () => answer(false))
      outgoing.end(body)
    }
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1)
      while (sent < due) {
        send(started + sent * intervalMs)
        sent += 1
      }
      if (sent === total) clearInterval(timer)
    }, 1)
  })
}

// A pooling client (as the ingress) sends through a restart of `serve` and loses nothing.
import { Agent, request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import {
  freePort,
  runCli,
  signedDelivery,
  startServe,
  tempEnv,
  type Served,
} from './workload-harness.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

interface Answer {
  readonly status: number
  readonly connection: string | undefined
}

function post(agent: Agent, port: number, delivery: ReturnType<typeof signedDelivery>) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/webhook',
        method: 'POST',
        agent,
        headers: delivery.headers,
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(delivery.body)
  })
}

describe('webhook-router serve restarted under a pooling client (process)', () => {
  it('answers every request it read, says Connection: close after SIGTERM, and loses none', async () => {
    const temp = tempEnv()
    cleanups.push(temp.cleanup)
    const port = await freePort()
    const env = {
      ...temp.env,
      APP_PORT: String(port),
      APP_METRICS_PORT: String(await freePort()),
      // Generous: a starved test process must not leave a pooled socket idle for a whole window.
      APP_SHUTDOWN_DRAIN_WINDOW_MS: '3000',
    }
    const servers: Served[] = []
    const start = async () => {
      const served = await startServe(env)
      servers.push(served)
      cleanups.push(() => served.child.kill('SIGKILL'))
      return served
    }
    const first = await start()
    const agent = new Agent({ keepAlive: true, maxSockets: 8 })
    cleanups.push(() => agent.destroy())

    let restarted: () => void = () => {}
    const secondReady = new Promise<void>((resolve) => (restarted = resolve))
    let phase: 'first' | 'second' = 'first'
    let jobId = 0
    let firstAnswers = 0
    let secondAnswers = 0
    const statuses: number[] = []
    const lost: string[] = []
    const lastFirstAnswer: (string | undefined)[] = []

    const worker = async (index: number) => {
      while (secondAnswers < 40 && lost.length === 0) {
        const delivery = signedDelivery(['large', 'x64'], ++jobId)
        let answer: Answer | undefined
        while (answer === undefined) {
          try {
            answer = await post(agent, port, delivery)
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? String(error)
            // Refused: nothing was sent, so sending again is safe (the proxy's retry).
            if (code !== 'ECONNREFUSED') {
              lost.push(code)
              return
            }
            await new Promise((wake) => setTimeout(wake, 20))
          }
        }
        statuses.push(answer.status)
        if (phase === 'first') {
          firstAnswers += 1
          lastFirstAnswer[index] = answer.connection
          // A polite pool sends nothing new to a server that said it is closing.
          if (answer.connection === 'close') await secondReady
        } else {
          secondAnswers += 1
        }
      }
    }
    const workers = Array.from({ length: 8 }, (_, index) => worker(index))

    await expect.poll(() => firstAnswers, { timeout: 30_000 }).toBeGreaterThanOrEqual(80)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    phase = 'second'
    const second = await start()
    restarted()
    await Promise.all(workers)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    expect(lost).toEqual([])
    expect(new Set(statuses)).toEqual(new Set([200]))
    // Every pooled connection of the first server ended with an answer that said so.
    expect(lastFirstAnswer).toEqual(Array.from({ length: 8 }, () => 'close'))
    const depth = JSON.parse((await runCli(['queue', '--json'], env)).stdout) as Record<
      string,
      number
    >
    expect(depth['large']).toBe(statuses.length)
  })
})

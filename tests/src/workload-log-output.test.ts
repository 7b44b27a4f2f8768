// A failing stdout (closed pipe, full disk) costs log lines, never the server.
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cliPath,
  freePort,
  signedDelivery,
  startServe,
  tempEnv,
  waitUntilAnswering,
} from './workload-harness.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

async function postWebhook(baseUrl: string, jobId: number): Promise<number> {
  const delivery = signedDelivery(['large', 'x64'], jobId)
  const response = await fetch(`${baseUrl}/webhook`, { method: 'POST', ...delivery })
  await response.arrayBuffer()
  return response.status
}

async function logWriteFailures(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text()
  const match = /^webhook_router_log_write_failures_total (\d+)$/m.exec(text)
  return match ? Number(match[1]) : Number.NaN
}

describe('webhook-router serve with a failing log output (process)', () => {
  it('keeps serving after the reader of its stdout went away (EPIPE), and counts the lost lines', async () => {
    const temp = tempEnv()
    cleanups.push(temp.cleanup)
    const served = await startServe(temp.env)
    cleanups.push(() => served.child.kill('SIGKILL'))
    // As `webhook-router serve | head -n 1`: the reader leaves after the first line.
    served.child.stdout?.destroy()

    expect(await postWebhook(served.baseUrl, 1)).toBe(200)
    // The failed write surfaces a turn later; the server must still be there for the next one.
    await new Promise((wake) => setTimeout(wake, 200))
    expect(await postWebhook(served.baseUrl, 2)).toBe(200)
    expect((await fetch(`${served.baseUrl}/health`)).status).toBe(200)
    expect(await logWriteFailures(served.metricsUrl)).toBeGreaterThanOrEqual(1)
    expect(served.child.exitCode).toBeNull()

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
  })

  it('keeps serving when stdout is on a full disk (ENOSPC), and counts the lost lines', async () => {
    const temp = tempEnv()
    cleanups.push(temp.cleanup)
    const [port, metricsPort] = [await freePort(), await freePort()]
    const full = openSync('/dev/full', 'w')
    cleanups.push(() => closeSync(full))
    const child = spawn(process.execPath, [cliPath, 'serve'], {
      env: { ...temp.env, APP_PORT: String(port), APP_METRICS_PORT: String(metricsPort) },
      stdio: ['ignore', full, 'pipe'],
    })
    cleanups.push(() => child.kill('SIGKILL'))
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    const baseUrl = `http://127.0.0.1:${port}`
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    await Promise.race([
      waitUntilAnswering(metricsUrl),
      exited.then((code) => Promise.reject(new Error(`serve exited ${code} before answering`))),
    ])

    expect(await postWebhook(baseUrl, 1)).toBe(200)
    await new Promise((wake) => setTimeout(wake, 200))
    expect(await postWebhook(baseUrl, 2)).toBe(200)
    expect(await logWriteFailures(metricsUrl)).toBeGreaterThanOrEqual(2)
    expect(child.exitCode).toBeNull()

    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})

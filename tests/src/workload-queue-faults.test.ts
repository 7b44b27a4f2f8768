// Faults of the embedded SQLite queue under a running `serve`: never a 200 that was not stored.
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cliPath,
  freePort,
  runCli,
  signedDelivery,
  startServe,
  tempEnv,
  waitUntilAnswering,
} from './workload-harness.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

async function post(baseUrl: string, jobId: number) {
  const response = await fetch(`${baseUrl}/webhook`, {
    method: 'POST',
    ...signedDelivery(['large', 'x64'], jobId),
  })
  return { status: response.status, text: await response.text() }
}

describe('webhook-router serve over a faulty SQLite queue (process)', () => {
  it('answers 503, and /health 503, once the queue file was deleted under it', async () => {
    const temp = tempEnv()
    cleanups.push(temp.cleanup)
    const served = await startServe(temp.env)
    cleanups.push(() => served.child.kill('SIGKILL'))
    expect((await post(served.baseUrl, 1)).status).toBe(200)

    const queuePath = temp.env['APP_QUEUE_PATH'] ?? ''
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${queuePath}${suffix}`, { force: true })

    expect(await post(served.baseUrl, 2)).toEqual({
      status: 503,
      text: 'Queue is unavailable; redeliver later.',
    })
    const health = await fetch(`${served.baseUrl}/health`)
    expect(health.status).toBe(503)
    expect(await health.text()).toBe('Router is not ready to forward jobs.')
    const logged = await served.waitForLog(/^health check failed$/)
    expect(String(logged['reason'])).toMatch(/was deleted while the router had it open/)
  })

  it('answers /health 503 when it can read the queue but not write it (a read-only file)', async (context) => {
    if (process.getuid?.() !== 0) context.skip('needs root to run serve as another user')
    const temp = tempEnv()
    cleanups.push(temp.cleanup)
    expect((await runCli(['migrate'], temp.env)).code).toBe(0)
    // The folder is the other user's; the file stays root's and read-only, as after a restore.
    chownSync(temp.dir, 65534, 65534)
    chmodSync(temp.env['APP_QUEUE_PATH'] ?? '', 0o444)
    const [port, metricsPort] = [await freePort(), await freePort()]
    const child = spawn(process.execPath, [cliPath, 'serve'], {
      env: { ...temp.env, APP_PORT: String(port), APP_METRICS_PORT: String(metricsPort) },
      uid: 65534,
      gid: 65534,
      stdio: 'ignore',
    })
    cleanups.push(() => child.kill('SIGKILL'))
    const baseUrl = `http://127.0.0.1:${port}`
    await waitUntilAnswering(`${baseUrl}/health`)

    expect((await fetch(`${baseUrl}/health`)).status).toBe(503)
    expect((await post(baseUrl, 1)).status).toBe(503)
  })
})

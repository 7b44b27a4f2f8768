import { afterEach, describe, expect, it } from 'vitest'
import { runCli, startServe, tempEnv, type Served } from './workload-harness.js'

// No MongoDB server can run here; an unreachable one is exactly what these tests need.
const PASSWORD = 'hunter22-mongo'
const UNREACHABLE = `mongodb://router:${PASSWORD}@127.0.0.1:1/github-runner-webhook-router`

const running: Served[] = []
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const served of running.splice(0)) served.child.kill('SIGKILL')
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function env() {
  const temp = tempEnv({ MONGODB_DB_CONNECT_STRING: UNREACHABLE })
  cleanups.push(temp.cleanup)
  return temp.env
}

describe('webhook-router with MongoDB unreachable (process)', () => {
  it('migrate exits 1 with one redacted line naming the MongoDB queue', async () => {
    const result = await runCli(['migrate'], env())
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^webhook-router migrate: .*mongodb:\/\/\*\*\*@127\.0\.0\.1:1\//)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
  })

  it('serve starts unready: it warns, /health answers 503, and exits 0 on SIGTERM', async () => {
    const served = await startServe(env())
    running.push(served)
    const warning = await served.waitForLog(/^queue not ready at start/)
    expect(warning['level']).toBe('warning')
    const listening = await served.waitForLog(/^webhook-router listening$/)
    expect(listening['queue_kind']).toBe('mongodb')
    expect((await fetch(`${served.baseUrl}/health`)).status).toBe(503)
    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    expect(JSON.stringify(served.logs) + served.stderr()).not.toContain(PASSWORD)
  })
})

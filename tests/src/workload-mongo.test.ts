/**
 * `webhook-router` processes on MongoDB: unreachable, and on FerretDB v1.24.2 (or the server of
 * MONGODB_URI), with every accepted job read back by the consumer's own kombu stack.
 */
import { randomUUID } from 'node:crypto'
import { signBody } from '@webhook-router/router'
import { workflowJobPayload } from '@webhook-router/router/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startFerretDb, startMongoServer, type MongoServer } from './mongo-server.js'
import { consumeJobs } from './python.js'
import { runCli, SECRET, startServe, tempEnv, type Served } from './workload-harness.js'

// An unreachable server is exactly what the first tests need.
const PASSWORD = 'hunter22-mongo'
const UNREACHABLE = `mongodb://router:${PASSWORD}@127.0.0.1:1/github-runner-webhook-router`
/** The router's default publish bound (APP_PUBLISH_TIMEOUT_MS). */
const PUBLISH_BOUND_MS = 5000
/** Room for a CPU-starved machine on top of a bound; only a hang should exceed it. */
const SLACK_MS = 10_000

const running: Served[] = []
const cleanups: (() => void)[] = []
afterEach(async () => {
  for (const served of running.splice(0)) {
    served.child.kill('SIGKILL')
    await served.exited
  }
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function env(uri: string) {
  const temp = tempEnv({ MONGODB_DB_CONNECT_STRING: uri })
  cleanups.push(temp.cleanup)
  return temp.env
}
async function serve(uri: string): Promise<Served> {
  const served = await startServe(env(uri))
  running.push(served)
  return served
}

interface Answer {
  readonly status: number
  readonly text: string
  readonly ms: number
  readonly url: string
}

/** Sends one signed `queued` webhook for `jobId`; `labels` pick the flavour. */
async function deliver(
  served: Served,
  labels: string[],
  jobId: number,
  deliveryId: string = randomUUID(),
): Promise<Answer> {
  const payload = workflowJobPayload({ labels, jobId })
  const body = JSON.stringify(payload)
  const started = Date.now()
  const response = await fetch(`${served.baseUrl}/webhook`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': signBody(new TextEncoder().encode(body), SECRET),
    },
  })
  const text = await response.text()
  const url = String((payload['workflow_job'] as { url: string }).url)
  return { status: response.status, text, ms: Date.now() - started, url }
}

const health = async (served: Served) => (await fetch(`${served.baseUrl}/health`)).status

describe('webhook-router with MongoDB unreachable (process)', () => {
  it('migrate exits 1 with one redacted line naming the MongoDB queue', async () => {
    const result = await runCli(['migrate'], env(UNREACHABLE))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^webhook-router migrate: .*mongodb:\/\/\*\*\*@127\.0\.0\.1:1\//)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
  })

  it('serve starts unready: it warns, /health answers 503, and exits 0 on SIGTERM', async () => {
    const served = await serve(UNREACHABLE)
    const warning = await served.waitForLog(/^queue not ready at start/)
    expect(warning['level']).toBe('warning')
    const listening = await served.waitForLog(/^webhook-router listening$/)
    expect(listening['queue_kind']).toBe('mongodb')
    expect(await health(served)).toBe(503)
    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    expect(JSON.stringify(served.logs) + served.stderr()).not.toContain(PASSWORD)
  })
})

describe('webhook-router on a MongoDB-protocol server (process)', () => {
  let server: MongoServer
  beforeAll(async () => {
    server = await startMongoServer()
  })
  afterAll(async () => {
    await server?.stop()
  })
  const freshUri = () => server.uri(`workload_${randomUUID().slice(0, 8)}`)

  it('migrates, and the consumer’s kombu reads every accepted job in order per flavour', async () => {
    const uri = freshUri()
    const migrated = await runCli(['migrate'], env(uri))
    expect(migrated.stderr).toBe('')
    expect(migrated.code).toBe(0)
    const served = await serve(uri)
    expect(await health(served)).toBe(200)
    const flavours = { small: ['small'], large: ['large', 'x64'], arm64: ['arm64', 'large'] }
    const sent = new Map<string, string[]>(Object.keys(flavours).map((f) => [f, []]))
    for (let id = 1; id <= 12; id += 1) {
      const [flavour, labels] = Object.entries(flavours)[id % 3]!
      const answer = await deliver(served, ['self-hosted', 'linux', ...labels], 7000 + id)
      expect(answer).toMatchObject({ status: 200, text: '' })
      sent.get(flavour)?.push(answer.url)
    }

    const consumed = await consumeJobs(uri, { small: 4, large: 4, arm64: 4 })

    for (const [flavour, urls] of sent) {
      expect(consumed.filter((job) => job.flavour === flavour).map((job) => job.url)).toEqual(urls)
    }
    expect(consumed.find((job) => job.flavour === 'large')?.labels).toEqual(['large', 'x64'])
    if (server.kind === 'ferretdb') {
      // FerretDB refuses TTL indexes, so serve deletes expired dedup records itself.
      const line = await served.waitForLog(/deletes expired ones itself$/)
      expect(line['level']).toBe('info')
    }
  })

  it('queues a delivery sent to three serve processes at once, and a redelivered job, once', async () => {
    const uri = freshUri()
    const routers = await Promise.all([serve(uri), serve(uri), serve(uri)])
    const jobs = [7101, 7102, 7103, 7104, 7105]
    for (const jobId of jobs) {
      const deliveryId = randomUUID()
      const answers = await Promise.all(
        routers.map((served) => deliver(served, ['large', 'x64'], jobId, deliveryId)),
      )
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
      expect(answers.map((a) => a.text).sort()).toEqual([
        '',
        'duplicate delivery',
        'duplicate delivery',
      ])
    }
    // GitHub sends `queued` again, in a new delivery, for a job that waited on an approval.
    for (const [index, jobId] of jobs.entries()) {
      const answer = await deliver(routers[index % 3]!, ['large', 'x64'], jobId)
      expect(answer).toMatchObject({ status: 200, text: 'duplicate job' })
    }

    const consumed = await consumeJobs(uri, { large: jobs.length })
    expect(consumed.map((job) => job.url)).toEqual(
      jobs.map((id) => `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${id}`),
    )
  })
})

describe('webhook-router through a FerretDB outage (process)', () => {
  it('answers 503 while FerretDB is down, recovers when it is back, and loses no 200', async () => {
    const ferret = await startFerretDb()
    try {
      const uri = ferret.uri('outage')
      expect((await runCli(['migrate'], env(uri))).code).toBe(0)
      const served = await serve(uri)
      const answers: Answer[] = []
      let jobId = 9000
      const send = async () => {
        const answer = await deliver(served, ['small'], (jobId += 1))
        answers.push(answer)
        return answer
      }

      for (let n = 0; n < 3; n += 1) expect((await send()).status).toBe(200)
      // Webhooks keep arriving while FerretDB dies.
      const during = Promise.all([send(), send(), send()])
      await ferret.kill()
      await during
      const down: Answer[] = []
      for (let n = 0; n < 3; n += 1) down.push(await send())
      expect(down.map((a) => a.status)).toEqual([503, 503, 503])
      for (const answer of down) expect(answer.ms).toBeLessThan(PUBLISH_BOUND_MS + SLACK_MS)
      expect(down[0]?.text).toMatch(/redeliver later\.$/)
      expect(await health(served)).toBe(503)

      await ferret.restart()
      const deadline = Date.now() + 60_000
      while ((await health(served)) !== 200) {
        if (Date.now() > deadline) throw new Error('/health did not recover within 60 s')
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      for (let n = 0; n < 3; n += 1) expect((await send()).status).toBe(200)
      expect(served.child.exitCode).toBeNull()

      const accepted = answers.filter((a) => a.status === 200).map((a) => a.url)
      const consumed = await consumeJobs(uri, { small: accepted.length }, { atLeast: true })
      const read = consumed.map((job) => job.url)
      // Every 200 is there, in order; a 503 may have been stored too (its answer was lost).
      expect(read.filter((url) => accepted.includes(url))).toEqual(accepted)
      expect(answers.map((a) => a.url)).toEqual(expect.arrayContaining(read))
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true)
    } finally {
      await ferret.stop()
    }
  }, 180_000)
})

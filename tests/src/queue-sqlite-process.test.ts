/**
 * The SQLite queue across processes: durability when the publisher is killed right after
 * `publish` resolves, and a lock held by another process (Debian's python3 sqlite3).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqliteQueue, QueueUnavailableError, serialiseJob } from '@webhook-router/router'
import type { JobQueue } from '@webhook-router/router'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const job = {
  labels: ['large'],
  status: 'queued',
  url: 'https://api.github.com/repos/o/r/actions/jobs/77',
} as const

let dir: string
let path: string
const queues: JobQueue[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'queue-process-'))
  path = join(dir, 'queue.db')
})
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close()
  rmSync(dir, { recursive: true, force: true })
})
function open(busyTimeoutMs?: number): JobQueue {
  const queue = createSqliteQueue(busyTimeoutMs === undefined ? { path } : { path, busyTimeoutMs })
  queues.push(queue)
  return queue
}

/** Runs an ES module script with the queue path and one publish request in its environment. */
async function runPublisher(script: string, request: object) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, QUEUE_PATH: path, REQUEST: JSON.stringify(request) },
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (exitCode, sig) => resolve([exitCode, sig])),
  )
  return { stdout, code, signal }
}

describe('SQLite queue across processes', () => {
  it.each([
    ['inline', 'createSqliteQueue', 77],
    ['through the writer thread', 'createSqliteThreadQueue', 78],
  ])(
    'keeps a job published %s and its dedup records when the publisher is SIGKILLed right after',
    async (_how, factory, id) => {
      const script = `
        import { ${factory} } from '@webhook-router/router'
        const queue = ${factory}({ path: process.env.QUEUE_PATH })
        const outcome = await queue.publish(JSON.parse(process.env.REQUEST))
        process.stdout.write(outcome)
        process.kill(process.pid, 'SIGKILL')
      `
      const request = { flavour: 'large', job, deliveryId: `d-${id}`, jobId: id }
      const { stdout, signal } = await runPublisher(script, request)

      expect([stdout, signal]).toEqual(['queued', 'SIGKILL'])
      const queue = open()
      expect((await queue.peek('large', 5)).map((m) => m.body)).toEqual([serialiseJob(job)])
      expect(await queue.publish(request)).toBe('duplicate-delivery')
    },
  )

  it('lets a process exit while its writer thread is idle, without close()', async () => {
    const script = `
      import { createSqliteThreadQueue } from '@webhook-router/router'
      const queue = createSqliteThreadQueue({ path: process.env.QUEUE_PATH })
      process.stdout.write(await queue.publish(JSON.parse(process.env.REQUEST)))
    `
    const request = { flavour: 'large', job, deliveryId: 'd-79', jobId: 79 }
    const { stdout, code } = await runPublisher(script, request)

    expect([stdout, code]).toEqual(['queued', 0])
  }, 15_000)

  it('rejects while another process holds BEGIN EXCLUSIVE, keeps serving, and recovers', async () => {
    const queue = open(300)
    await queue.migrate()
    const holder = spawn('/usr/bin/python3', [
      '-c',
      [
        'import sqlite3, sys',
        'db = sqlite3.connect(sys.argv[1], isolation_level=None)',
        'db.execute("BEGIN EXCLUSIVE")',
        'print("locked", flush=True)',
        'sys.stdin.read()',
        'db.execute("ROLLBACK")',
      ].join('\n'),
      path,
    ])
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve())
      holder.once('exit', (code) => reject(new Error(`lock holder exited ${code}`)))
    })

    let ticks = 0
    const ticker = setInterval(() => (ticks += 1), 5)
    const failure = await queue
      .publish({ flavour: 'large', job, deliveryId: 'a', jobId: 1 })
      .catch((error: unknown) => error)
    clearInterval(ticker)

    expect(failure).toBeInstanceOf(QueueUnavailableError)
    // Lock waits happen between attempts, so timers kept firing while publish waited.
    expect(ticks).toBeGreaterThan(1)
    holder.stdin.end()
    await new Promise((resolve) => holder.on('exit', resolve))
    expect(await queue.publish({ flavour: 'large', job, deliveryId: 'a', jobId: 1 })).toBe('queued')
  })
})

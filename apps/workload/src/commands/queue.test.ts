import { createMemoryQueue, type JobQueue, type MemoryQueue } from '@webhook-router/router'
import { describe, expect, it } from 'vitest'
import { QueueMissingError } from '../open-queue.js'
import { createMigrateCommand } from './migrate.js'
import { createQueueCommand } from './queue.js'
import { exampleRoutingEnv, recordingIo } from './test-io.js'

const job = (n: number, labels: string[] = ['large']) => ({
  labels,
  status: 'queued' as const,
  url: `https://api.github.com/repos/o/r/actions/jobs/${n}`,
})

async function queueWithJobs(): Promise<MemoryQueue> {
  const queue = createMemoryQueue()
  await queue.migrate()
  await queue.publish({ flavour: 'large', job: job(1), deliveryId: 'd1', jobId: 1 })
  await queue.publish({ flavour: 'large', job: job(2), deliveryId: 'd2', jobId: 2 })
  await queue.publish({ flavour: 'legacy', job: job(3, []), deliveryId: 'd3', jobId: 3 })
  return queue
}

async function runQueue(
  argv: string[],
  queue: JobQueue,
  env: Record<string, string> = exampleRoutingEnv,
) {
  const recorded = recordingIo(argv, env)
  const code = await createQueueCommand(async () => queue).run(recorded.io)
  return { code, ...recorded }
}

describe('webhook-router queue', () => {
  it('prints every configured flavour, zeros included, and other queues that hold messages', async () => {
    const { code, stdout } = await runQueue([], await queueWithJobs())
    expect(code).toBe(0)
    expect(stdout).toEqual([
      'FLAVOUR  WAITING',
      'small    0',
      'large    2',
      'arm64    0',
      'legacy   1',
    ])
  })

  it('prints the depth as one JSON object with --json', async () => {
    const { stdout } = await runQueue(['--json'], await queueWithJobs())
    expect(JSON.parse(stdout[0] ?? '')).toEqual({ small: 0, large: 2, arm64: 0, legacy: 1 })
  })

  it('still shows stored queues when the routing config is absent', async () => {
    const { code, stdout } = await runQueue(['--json'], await queueWithJobs(), {})
    expect(code).toBe(0)
    expect(JSON.parse(stdout[0] ?? '')).toEqual({ large: 2, legacy: 1 })
  })

  it('peek prints the job JSON of waiting messages, oldest first, one per line', async () => {
    const { code, stdout } = await runQueue(['peek', 'large'], await queueWithJobs())
    expect(code).toBe(0)
    expect(stdout.map((line) => JSON.parse(line))).toEqual([job(1), job(2)])
  })

  it('peek prints nothing on stdout, and says so on stderr, for an empty flavour', async () => {
    const { code, stdout, stderr } = await runQueue(['peek', 'small'], await queueWithJobs())
    expect(code).toBe(0)
    expect(stdout).toEqual([])
    expect(stderr).toEqual(['no messages waiting'])
  })

  it('peek honours --limit and leaves the messages in the queue', async () => {
    const queue = await queueWithJobs()
    const { stdout } = await runQueue(['peek', 'large', '--limit', '1'], queue)
    expect(stdout).toHaveLength(1)
    expect(queue.messages('large')).toHaveLength(2)
  })

  it('peek --json prints id, flavour and the parsed job', async () => {
    const { stdout } = await runQueue(
      ['peek', 'large', '--json', '--limit', '1'],
      await queueWithJobs(),
    )
    expect(JSON.parse(stdout[0] ?? '')).toEqual([
      { id: expect.any(String), flavour: 'large', job: job(1) },
    ])
  })

  it.each([['0'], ['1001'], ['ten'], ['-1']])('peek rejects --limit %s', async (limit) => {
    await expect(
      runQueue(['peek', 'large', `--limit=${limit}`], createMemoryQueue()),
    ).rejects.toThrow(/--limit must be an integer from 1 to 1000/)
  })

  it('rejects peek without a flavour, unknown subcommands and --limit without peek', async () => {
    const queue = createMemoryQueue()
    await expect(runQueue(['peek'], queue)).rejects.toThrow(/peek needs a flavour/)
    await expect(runQueue(['drain'], queue)).rejects.toThrow(/unknown subcommand 'drain'/)
    await expect(runQueue(['--limit', '3'], queue)).rejects.toThrow(/--limit only applies to peek/)
  })

  it('exits 1 with one line when the queue file does not exist', async () => {
    const recorded = recordingIo([], exampleRoutingEnv)
    const command = createQueueCommand(async () => {
      throw new QueueMissingError('No SQLite queue at /nope.')
    })
    expect(await command.run(recorded.io)).toBe(1)
    expect(recorded.stderr).toEqual(['webhook-router queue: No SQLite queue at /nope.'])
  })

  it('exits 1 with one line when the queue cannot be read', async () => {
    const queue = createMemoryQueue()
    queue.setAvailable(false)
    const { code, stderr } = await runQueue([], queue)
    expect(code).toBe(1)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^webhook-router queue: memory queue is unavailable/)
  })
})

describe('webhook-router migrate', () => {
  it('migrates the queue and says what it did', async () => {
    const recorded = recordingIo([], {})
    const code = await createMigrateCommand(async () => createMemoryQueue()).run(recorded.io)
    expect(code).toBe(0)
    expect(recorded.stdout).toEqual([
      expect.stringMatching(/^migrated the memory queue at .+: tables and indexes are in place$/),
    ])
  })

  it('exits 1 with a redacted line when the queue cannot be opened', async () => {
    const env = { MONGODB_DB_CONNECT_STRING: 'mongodb://u:s3cr3t@db/x' }
    const recorded = recordingIo([], env)
    const command = createMigrateCommand(async () => {
      throw new Error('auth failed for mongodb://u:s3cr3t@db/x')
    })
    expect(await command.run(recorded.io)).toBe(1)
    expect(recorded.stderr).toEqual([
      'webhook-router migrate: cannot open the queue: auth failed for ***',
    ])
  })

  it('exits 1 with the variable named when the workload config is invalid', async () => {
    const recorded = recordingIo([], { MONGODB_DB_CONNECT_STRING: 'http://nope' })
    expect(await createMigrateCommand(async () => createMemoryQueue()).run(recorded.io)).toBe(1)
    expect(recorded.stderr).toEqual([
      "Invalid 'MONGODB_DB_CONNECT_STRING' config. Expected a mongodb:// or mongodb+srv:// URI.",
    ])
  })
})

/**
 * Proves the SQLite adapter and Python kombu (`sqla+sqlite:///`, as the github-runner consumer
 * uses it) read each other's data: schema, envelope bytes, order and visibility. Runs twice: on
 * the consumer's pinned stack (the venv: kombu 5.6.2, SQLAlchemy 2.1) and on Debian's
 * /usr/bin/python3 (python3-kombu 5.2.4, python3-sqlalchemy 1.4); fails loudly without them.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildKombuPayload, createSqliteQueue, serialiseJob } from '@webhook-router/router'
import type { JobQueue, QueuedJob } from '@webhook-router/router'
import { consumeJobs, pythons } from './python.js'

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'consume.py')
const run = promisify(execFile)

interface Consumed {
  flavour: string
  payload: string
  payload_type: string
  content_type: string
  delivery_tag: string
}
interface SchemaRow {
  type: string
  name: string
  tbl_name: string
  sql: string | null
}

/** The interpreter of the stack under test; set by the `describe.each` below. */
let python = ''

async function kombu(...args: string[]): Promise<string> {
  const { stdout } = await run(python, [script, ...args], { timeout: 30_000 })
  return stdout
}
async function drain(path: string, ...flavours: string[]): Promise<Consumed[]> {
  const stdout = await kombu('drain', `sqla+sqlite:///${path}`, ...flavours)
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Consumed)
}
async function kombuSchema(path: string): Promise<SchemaRow[]> {
  const rows = JSON.parse(await kombu('schema', path)) as SchemaRow[]
  return rows.filter((row) => row.tbl_name.startsWith('kombu_') || row.name === 'sqlite_sequence')
}

const jobFor = (id: number, labels: string[]): QueuedJob => ({
  labels,
  status: 'queued',
  url: `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${id}`,
})

let dir: string
const queues: JobQueue[] = []
let tag = 0
function openQueue(path: string): JobQueue {
  const queue = createSqliteQueue({ path, randomUUID: () => `00000000-0000-4000-8000-${++tag}` })
  queues.push(queue)
  return queue
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kombu-interop-'))
})
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close()
  rmSync(dir, { recursive: true, force: true })
})

describe.each([pythons.venv, pythons.debian])('with $name', (stack) => {
  beforeAll(async () => {
    python = stack.path()
    try {
      await run(python, ['-c', 'import kombu, sqlalchemy'])
    } catch {
      throw new Error(
        `${python} cannot import kombu and sqlalchemy: run 'node tests/tools/provision.mjs install' (it installs the venv and python3-kombu python3-sqlalchemy)`,
      )
    }
  })

  it('runs the kombu version it names', async () => {
    const { stdout } = await run(python, ['-c', 'import kombu; print(kombu.__version__)'])
    expect(stack.name).toContain(`kombu ${stdout.trim()}`)
  })

  describe('SQLite queue read by kombu', () => {
    it('hands kombu consumers every job, byte-for-byte and in order, per flavour', async () => {
      const path = join(dir, 'queue.db')
      const queue = openQueue(path)
      await queue.migrate()
      const flavours = ['large', 'small', 'arm-large']
      const expected = new Map<string, string[]>(flavours.map((flavour) => [flavour, []]))
      for (let id = 1; id <= 12; id += 1) {
        const flavour = flavours[id % 3] ?? 'large'
        const job = jobFor(id, id === 4 ? ['größe', 'x64'] : [flavour, 'x64'])
        expect(await queue.publish({ flavour, job, deliveryId: `d-${id}`, jobId: id })).toBe(
          'queued',
        )
        expected.get(flavour)?.push(serialiseJob(job))
      }
      await queue.close()

      const consumed = await drain(path, ...flavours)

      for (const flavour of flavours) {
        const bodies = consumed.filter((m) => m.flavour === flavour).map((m) => m.payload)
        expect(bodies).toEqual(expected.get(flavour))
      }
      expect(new Set(consumed.map((m) => `${m.payload_type} ${m.content_type}`))).toEqual(
        new Set(['str text/plain']),
      )
    })

    it('stops counting, peeking and keeping messages once a kombu consumer took them', async () => {
      const path = join(dir, 'queue.db')
      const queue = openQueue(path)
      await queue.publish({
        flavour: 'large',
        job: jobFor(1, ['large']),
        deliveryId: 'a',
        jobId: 1,
      })
      await queue.publish({
        flavour: 'large',
        job: jobFor(2, ['large']),
        deliveryId: 'b',
        jobId: 2,
      })
      expect(await queue.depth()).toEqual({ large: 2 })

      expect(await drain(path, 'large')).toHaveLength(2)

      expect(await queue.depth()).toEqual({ large: 0 })
      expect(await queue.peek('large', 10)).toEqual([])
      // The next publish deletes the consumed rows, which kombu's own qsize() would still count.
      await queue.publish({
        flavour: 'large',
        job: jobFor(3, ['large']),
        deliveryId: 'c',
        jobId: 3,
      })
      expect((await kombu('size', `sqla+sqlite:///${path}`, 'large')).trim()).toBe('1')
    })

    it('creates exactly the tables and indexes that SQLAlchemy creates for kombu', async () => {
      const ours = join(dir, 'ours.db')
      const theirs = join(dir, 'theirs.db')
      await openQueue(ours).migrate()
      await kombu('produce', `sqla+sqlite:///${theirs}`, 'large', 'x')
      expect(await kombuSchema(ours)).toEqual(await kombuSchema(theirs))
    })

    it('lets kombu produce into a database we created and drains both in order', async () => {
      const path = join(dir, 'queue.db')
      const queue = openQueue(path)
      const job = jobFor(1, ['large'])
      await queue.publish({ flavour: 'large', job, deliveryId: 'a', jobId: 1 })
      await kombu('produce', `sqla+sqlite:///${path}`, 'large', 'from-kombu')
      expect((await drain(path, 'large')).map((m) => m.payload)).toEqual([
        serialiseJob(job),
        'from-kombu',
      ])
    })
  })

  describe('kombu-written SQLite queue read by the adapter', () => {
    it('migrates over kombu tables and peeks and counts a kombu-written message', async () => {
      const path = join(dir, 'queue.db')
      const body = serialiseJob(jobFor(7, ['small']))
      await kombu('produce', `sqla+sqlite:///${path}`, 'small', body)

      const queue = openQueue(path)
      await queue.migrate()

      expect(await queue.depth()).toEqual({ small: 1 })
      expect(await queue.peek('small', 5)).toEqual([{ id: '1', flavour: 'small', body }])
    })

    it('writes the same envelope bytes kombu writes for the same message', async () => {
      const path = join(dir, 'queue.db')
      const body = serialiseJob(jobFor(8, ['größe']))
      await kombu('produce', `sqla+sqlite:///${path}`, 'größe', body)
      const [row] = JSON.parse(
        await run(python, [
          '-c',
          'import sqlite3, sys, json; print(json.dumps(sqlite3.connect(sys.argv[1]).execute("SELECT payload FROM kombu_message").fetchone()[0]))',
          path,
        ]).then(({ stdout }) => `[${stdout}]`),
      ) as [string]
      const kombuTag = (JSON.parse(row) as { properties: { delivery_tag: string } }).properties
        .delivery_tag

      expect(buildKombuPayload('größe', body, kombuTag)).toBe(row)
    })

    it('continues after a kombu message with its own dedup on the same file', async () => {
      const path = join(dir, 'queue.db')
      await kombu('produce', `sqla+sqlite:///${path}`, 'large', 'from-kombu')
      const queue = openQueue(path)
      const request = { flavour: 'large', job: jobFor(3, ['large']), deliveryId: 'z', jobId: 3 }
      expect(await queue.publish(request)).toBe('queued')
      expect(await queue.publish(request)).toBe('duplicate-delivery')
      expect(await queue.depth()).toEqual({ large: 2 })
    })
  })
})

describe('SQLite queue read by the github-runner consumer (venv)', () => {
  it('parses every job with pydantic v1 JobDetails and acks it, in order', async () => {
    const path = join(dir, 'queue.db')
    const queue = openQueue(path)
    await queue.migrate()
    const jobs = [jobFor(1, ['large', 'x64']), jobFor(2, ['größe']), jobFor(3, [])]
    for (const [index, job] of jobs.entries()) {
      await queue.publish({ flavour: 'large', job, deliveryId: `c-${index}`, jobId: index })
    }
    const consumed = await consumeJobs(`sqla+sqlite:///${path}`, { large: 3 })
    expect(consumed.map(({ labels, url }) => ({ labels, url }))).toEqual(
      jobs.map(({ labels, url }) => ({ labels: [...labels].sort(), url })),
    )
    expect(await queue.depth()).toEqual({ large: 0 })
  })
})

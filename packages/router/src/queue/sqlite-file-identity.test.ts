import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'
import type { JobQueue } from './port.js'
import { createSqliteQueue } from './sqlite-queue.js'
import { createSqliteThreadQueue } from './sqlite-thread-queue.js'
import { publishRequest as request } from '../testing/publish-request.js'

let dir: string
let path: string
const opened: JobQueue[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-identity-'))
  path = join(dir, 'queue.sqlite')
})
afterEach(async () => {
  for (const queue of opened.splice(0)) await queue.close().catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
})

const adapters = {
  inline: () => createSqliteQueue({ path, sleep: async () => {} }),
  'writer thread': () => createSqliteThreadQueue({ path }),
}

function removeQueueFiles(): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
}

describe.each(Object.entries(adapters))(
  'the %s SQLite queue, when its file goes away',
  (_, make) => {
    function open(): JobQueue {
      const queue = make()
      opened.push(queue)
      return queue
    }

    it('refuses publishes and health once the file was deleted (rm queue.sqlite*)', async () => {
      const queue = open()
      expect(await queue.publish(request())).toBe('queued')
      removeQueueFiles()
      const publish = queue.publish(request({ deliveryId: 'd-2', jobId: 2 }))
      await expect(publish).rejects.toBeInstanceOf(QueueUnavailableError)
      await expect(publish).rejects.toThrow(
        /queue\.sqlite was deleted while the router had it open/,
      )
      await expect(queue.checkWritable()).rejects.toThrow(/was deleted/)
    })

    it('never recreates a deleted file by itself', async () => {
      const queue = open()
      await queue.migrate()
      removeQueueFiles()
      await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
      await expect(queue.checkWritable()).rejects.toBeInstanceOf(QueueUnavailableError)
      await queue.close()
      expect(() => execFileSync('ls', [path], { stdio: 'ignore' })).toThrow()
    })

    it('refuses publishes once another file was moved over the path (a restore)', async () => {
      const queue = open()
      await queue.migrate()
      const restore = createSqliteQueue({ path: join(dir, 'backup.sqlite') })
      await restore.migrate()
      await restore.close()
      renameSync(join(dir, 'backup.sqlite'), path)
      await expect(queue.publish(request())).rejects.toThrow(/queue\.sqlite was replaced/)
      await expect(queue.checkWritable()).rejects.toThrow(/was replaced/)
    })

    it('refuses publishes once only the WAL file was deleted', async () => {
      const queue = open()
      await queue.migrate()
      rmSync(`${path}-wal`)
      await expect(queue.publish(request())).rejects.toThrow(/queue\.sqlite-wal was deleted/)
    })
  },
)

describe('the SQLite queue health check', () => {
  it('makes a real write: it fails on a full disk, where an empty transaction succeeds', async (context) => {
    if (process.getuid?.() !== 0) {
      context.skip('needs root to mount a small tmpfs')
    }
    const mount = join(dir, 'small')
    mkdirSync(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mount])
    try {
      const queue = createSqliteQueue({ path: join(mount, 'queue.sqlite'), sleep: async () => {} })
      await queue.migrate()
      await expect(queue.checkWritable()).resolves.toBeUndefined()
      // Fill the disk; what is left is less than one WAL frame.
      try {
        writeFileSync(join(mount, 'filler'), Buffer.alloc(1024 * 1024))
      } catch {
        // ENOSPC once full: that is the point.
      }
      await expect(queue.checkWritable()).rejects.toThrow(/is not writable: .*(full|SQLITE_FULL)/)
      await expect(queue.publish(request())).rejects.toBeInstanceOf(QueueUnavailableError)
      rmSync(join(mount, 'filler'))
      await expect(queue.checkWritable()).resolves.toBeUndefined()
      await queue.close()
    } finally {
      execFileSync('umount', [mount])
    }
  })
})

/**
 * Noticing that the SQLite queue file was deleted or replaced while it is open.
 *
 * An open SQLite connection keeps writing to the file it opened, even after `rm queue.sqlite*`
 * or a `mv backup.sqlite queue.sqlite`: the writes succeed, so a publish would answer `queued`
 * for a job that lands in a file no consumer can open. So the adapter records the device and
 * inode of the database file and of its WAL file when it opens them, and compares them with
 * what the path names now.
 *
 * Once they differ, the queue stops accepting for good (every operation rejects with
 * {@link QueueUnavailableError}, so webhooks get 503 and `/health` 503) rather than reopening by
 * itself: reopening a deleted path would create an empty queue that the consumer may not read,
 * and a replaced file may be an operator's restore, which should be taken up by a deliberate
 * restart, not silently in the middle of a write.
 *
 * @module
 */
import { statSync } from 'node:fs'
import { QueueUnavailableError } from './port.js'

/** Watches the files of one open connection; see the module comment. */
export interface FileIdentityWatch {
  /** Stats the paths; throws {@link QueueUnavailableError} if they no longer name the open files. */
  verify(): void
  /** Throws if an earlier {@link verify} found the files gone; no system call. */
  throwIfLost(): void
}

interface Identity {
  readonly dev: number
  readonly ino: number
}

function identityOf(path: string): Identity | undefined {
  const stats = statSync(path, { throwIfNoEntry: false })
  return stats === undefined ? undefined : { dev: stats.dev, ino: stats.ino }
}

function describeChange(path: string, opened: Identity): string | undefined {
  const now = identityOf(path)
  if (now === undefined) return 'deleted'
  if (now.dev !== opened.dev || now.ino !== opened.ino) return 'replaced'
  return undefined
}

/**
 * Records what `path` and `path-wal` name now. An in-memory database (`:memory:`) is never
 * checked. A WAL file absent at this moment is not checked either.
 *
 * @example
 * const file = watchFileIdentity('/var/lib/webhook-router/queue.sqlite')
 * db.transaction(write).immediate()
 * file.verify() // throws if the file was removed meanwhile
 */
export function watchFileIdentity(path: string): FileIdentityWatch {
  if (path === ':memory:') return { verify() {}, throwIfLost() {} }
  const watched = [path, `${path}-wal`]
    .map((file) => ({ file, opened: identityOf(file) }))
    .filter((entry): entry is { file: string; opened: Identity } => entry.opened !== undefined)
  let lost: string | undefined
  const throwIfLost = () => {
    if (lost !== undefined) throw new QueueUnavailableError(lost)
  }
  return {
    verify() {
      throwIfLost()
      for (const { file, opened } of watched) {
        const change = describeChange(file, opened)
        if (change === undefined) continue
        lost =
          `SQLite queue file ${file} was ${change} while the router had it open; ` +
          'no more jobs are accepted until the router is restarted'
        throwIfLost()
      }
    },
    throwIfLost,
  }
}

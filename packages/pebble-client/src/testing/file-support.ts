/**
 * Support for the double's files API (contract §8): Go-worded file errors with their kinds,
 * permission strings, ownership, directory entries and name patterns.
 */
import { chown, lstat } from 'node:fs/promises'
import { basename } from 'node:path'
import { HttpError } from './http-error.js'
import { lookupName, resolveIdentity, type IdentityFields } from './process-env.js'

/** A per-file failure: `kind` is `not-found`, `permission-denied` or `generic-file-error`. */
export class FileError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message)
  }
}

const ERRNO_TEXT: Record<string, [string, string]> = {
  ENOENT: ['not-found', 'no such file or directory'],
  EACCES: ['permission-denied', 'permission denied'],
  EPERM: ['permission-denied', 'operation not permitted'],
  EEXIST: ['generic-file-error', 'file exists'],
  ENOTDIR: ['generic-file-error', 'not a directory'],
  EISDIR: ['generic-file-error', 'is a directory'],
  ENOTEMPTY: ['generic-file-error', 'directory not empty'],
}

/** Rethrows a system error with Go's `<op> <path>: <text>` wording, against the container path. */
export function fail(op: string, path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  const [kind, text] = ERRNO_TEXT[code] ?? ['generic-file-error', (error as Error).message]
  throw new FileError(kind, `${op} ${path}: ${text}`)
}

export function asFileError(error: unknown): { kind: string; message: string } {
  if (error instanceof FileError) return { kind: error.kind, message: error.message }
  if (error instanceof HttpError) return { kind: 'generic-file-error', message: error.message }
  return { kind: 'generic-file-error', message: (error as Error).message }
}

export function parseMode(permissions: string | undefined, fallback: number): number {
  if (permissions === undefined || permissions === '') return fallback
  if (!/^[0-7]{3}$/.test(permissions)) {
    throw new FileError(
      'generic-file-error',
      `permissions must be a 3-digit octal string, got "${permissions}"`,
    )
  }
  return Number.parseInt(permissions, 8)
}

export async function applyOwnership(host: string, fields: Record<string, unknown>): Promise<void> {
  const identity: IdentityFields = {
    ...(typeof fields['user'] === 'string' && fields['user'] ? { user: fields['user'] } : {}),
    ...(typeof fields['user-id'] === 'number' ? { userId: fields['user-id'] } : {}),
    ...(typeof fields['group'] === 'string' && fields['group'] ? { group: fields['group'] } : {}),
    ...(typeof fields['group-id'] === 'number' ? { groupId: fields['group-id'] } : {}),
  }
  if (Object.keys(identity).length === 0) return
  let runAs
  try {
    runAs = resolveIdentity(identity)
  } catch (error) {
    const reason = `cannot look up user and group: ${(error as Error).message}`
    throw new FileError('generic-file-error', reason)
  }
  await chown(host, runAs.uid ?? -1, runAs.gid ?? -1).catch((error: unknown) =>
    fail('chown', host, error),
  )
}

export async function describe(host: string, path: string): Promise<Record<string, unknown>> {
  const info = await lstat(host)
  const type = info.isFile()
    ? 'file'
    : info.isDirectory()
      ? 'directory'
      : info.isSymbolicLink()
        ? 'symlink'
        : info.isSocket()
          ? 'socket'
          : info.isFIFO()
            ? 'named-pipe'
            : info.isBlockDevice() || info.isCharacterDevice()
              ? 'device'
              : 'unknown'
  return {
    path,
    name: path === '/' ? '/' : basename(path),
    type,
    ...(type === 'file' ? { size: info.size } : {}),
    permissions: (info.mode & 0o777).toString(8).padStart(3, '0'),
    // Pebble writes whole seconds (Go's RFC 3339).
    'last-modified': info.mtime.toISOString().replace(/\.\d+Z$/, 'Z'),
    'user-id': info.uid,
    ...nameOf('/etc/passwd', 'user', info.uid),
    'group-id': info.gid,
    ...nameOf('/etc/group', 'group', info.gid),
  }
}

/** `{ user: 'root' }` for uid 0, as Pebble lists it; nothing when the id has no name. */
function nameOf(
  table: '/etc/passwd' | '/etc/group',
  key: 'user' | 'group',
  id: number,
): Record<string, string> {
  const name = lookupName(table, id)
  return name === undefined ? {} : { [key]: name }
}

/**
 * Go's `path.Match` patterns as a RegExp: `*`, `?`, `[a-z]` and `[^…]` classes, `\\` escapes.
 * A malformed pattern throws the 400 Pebble answers (`syntax error in pattern`).
 */
export function globToRegExp(pattern: string): RegExp {
  const syntaxError = () => new FileError('generic-file-error', 'syntax error in pattern')
  let source = ''
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string
    if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else if (char === '\\') {
      const next = pattern[++index]
      if (next === undefined) throw syntaxError()
      source += escapeRegExp(next)
    } else if (char === '[') {
      const end = pattern.indexOf(']', index + 2)
      if (end === -1) throw syntaxError()
      let body = pattern.slice(index + 1, end)
      const negated = body.startsWith('^')
      if (negated) body = body.slice(1)
      if (body === '') throw syntaxError()
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
      index = end
    } else source += escapeRegExp(char)
  }
  return new RegExp(`^${source}$`)
}

function escapeRegExp(char: string): string {
  return char.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')
}

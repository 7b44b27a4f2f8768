/**
 * What a real process needs before `spawn`: the executable looked up on `PATH`, the user and
 * group resolved from `/etc/passwd` and `/etc/group`, and the environment (contract §9.1).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { delimiter, join } from 'node:path'

/** Identity to run as, resolved to numbers; empty when running as the daemon's own user. */
export interface RunAs {
  uid?: number
  gid?: number
  /** Home and login name of the user, for `HOME`/`USER`. */
  home?: string
  name?: string
}

/** The user/group fields of a service, check or exec request. */
export interface IdentityFields {
  user?: string | undefined
  userId?: number | undefined
  group?: string | undefined
  groupId?: number | undefined
}

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

/** Finds an executable like Go's `exec.LookPath`; `undefined` when there is none. */
export function lookPath(file: string, path: string | undefined): string | undefined {
  const candidates = file.includes('/')
    ? [file]
    : (path ?? '').split(delimiter).map((dir) => join(dir === '' ? '.' : dir, file))
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK)
      return statSync(candidate).isFile()
    } catch {
      return false
    }
  })
}

/**
 * Resolves user and group names and IDs. Throws an `Error` with Pebble-like wording when a
 * name is unknown or the name and ID disagree.
 */
export function resolveIdentity(fields: IdentityFields): RunAs {
  if (fields.user === undefined && fields.userId === undefined) {
    if (fields.group !== undefined || fields.groupId !== undefined)
      throw new Error('must specify user, not just group')
    return {}
  }
  const users = readTable('/etc/passwd').map(
    ([name = '', , uid = '', gid = '', , home = '']) =>
      ({ name, uid: Number(uid), gid: Number(gid), home }) satisfies PasswdEntry,
  )
  const user =
    fields.user !== undefined
      ? users.find((entry) => entry.name === fields.user)
      : users.find((entry) => entry.uid === fields.userId)
  if (fields.user !== undefined && !user) throw new Error(`user: unknown user ${fields.user}`)
  if (user && fields.userId !== undefined && user.uid !== fields.userId) {
    throw new Error(
      `user "${fields.user}" UID (${user.uid}) does not match user-id (${fields.userId})`,
    )
  }
  const uid = fields.userId ?? user?.uid
  let gid = fields.groupId ?? user?.gid
  if (fields.group !== undefined) {
    const group = readTable('/etc/group').find(([name]) => name === fields.group)
    if (!group) throw new Error(`group: unknown group ${fields.group}`)
    const groupGid = Number(group[2])
    if (fields.groupId !== undefined && groupGid !== fields.groupId) {
      throw new Error(
        `group "${fields.group}" GID (${groupGid}) does not match group-id (${fields.groupId})`,
      )
    }
    gid = groupGid
  }
  return {
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
    ...(user ? { home: user.home, name: user.name } : {}),
  }
}

/**
 * The environment of a spawned process: the daemon's, then `HOME`/`USER` of the target user,
 * then the requested variables (which win).
 */
export function buildEnvironment(
  daemonEnv: Readonly<Record<string, string | undefined>>,
  runAs: RunAs,
  requested: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(daemonEnv)) if (value !== undefined) env[key] = value
  if (runAs.home !== undefined) env['HOME'] = runAs.home
  if (runAs.name !== undefined) env['USER'] = runAs.name
  return { ...env, ...requested }
}

/** Whether a path is an existing directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * The exit code Pebble reports for a process: its own, or 128 + the signal number when a signal
 * ended it (Pebble's reaper reads the wait status as a shell would).
 */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return signal === null ? 0 : 128 + (osConstants.signals[signal] ?? 0)
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone, or an unknown signal name.
  }
}

/** The name of a uid (`/etc/passwd`) or gid (`/etc/group`); `undefined` when it has none. */
export function lookupName(file: '/etc/passwd' | '/etc/group', id: number): string | undefined {
  return readTable(file).find((entry) => Number(entry[2]) === id)?.[0]
}

function readTable(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(':'))
  } catch {
    return []
  }
}

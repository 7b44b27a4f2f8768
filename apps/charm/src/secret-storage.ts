import { randomBytes } from 'node:crypto'

/** The peer relation that holds application-wide secrets, shared by every unit. */
export const SECRET_STORAGE_ENDPOINT = 'secret-storage'
/** The key of the application secret in the peer relation's application databag. */
export const SECRET_KEY_FIELD = 'app_secret_key'

/**
 * A new application secret key: 64 random bytes as URL-safe base64 (86 characters), the same
 * strength as Python's `secrets.token_urlsafe(64)` that paas-charm uses.
 *
 * @example
 * ```ts
 * generateSecretKey().length // 86
 * ```
 */
export function generateSecretKey(random: (size: number) => Buffer = randomBytes): string {
  return random(64).toString('base64url')
}

/** The stored key, or `undefined` while the leader has not written one yet. */
export function readSecretKey(peerAppData: Readonly<Record<string, string>>): string | undefined {
  const key = peerAppData[SECRET_KEY_FIELD]
  return key === undefined || key === '' ? undefined : key
}

/**
 * What the leader writes to the peer application databag: a key only when none exists, so a
 * re-run of `secret-storage-relation-created` or `leader-elected` never rotates it by accident.
 */
export function secretKeyToCreate(
  peerAppData: Readonly<Record<string, string>>,
  random?: (size: number) => Buffer,
): Record<string, string> | undefined {
  if (readSecretKey(peerAppData) !== undefined) return undefined
  return { [SECRET_KEY_FIELD]: generateSecretKey(random) }
}

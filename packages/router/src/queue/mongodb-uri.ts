/**
 * Reads what the MongoDB adapter needs from a connection string without handing it to a URL
 * parser: multi-host URIs (`mongodb://a:27017,b:27017/db?replicaSet=rs`) are not valid WHATWG
 * URLs.
 *
 * @module
 */

/** kombu's `default_database`, used when the URI names no database. */
export const KOMBU_DEFAULT_DATABASE = 'kombu_default'

/** The parts of a MongoDB connection string the adapter uses. */
export interface MongoUriParts {
  /** The database in the URI path, or {@link KOMBU_DEFAULT_DATABASE}. */
  readonly databaseName: string
  /** `scheme://[***@]hosts/database`: no credentials and no query options; safe to log. */
  readonly redacted: string
  /** The credential strings (raw and percent-decoded) that must never be shown. */
  readonly secrets: readonly string[]
}

const URI_PATTERN = /^(mongodb(?:\+srv)?):\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?/

/**
 * Splits a `mongodb://` or `mongodb+srv://` URI. Throws a one-line error (without the URI, which
 * may hold a password) when it is not one.
 *
 * @example
 * parseMongoUri('mongodb://u:p@a:27017,b:27017/github-runner-webhook-router?replicaSet=rs')
 * // { databaseName: 'github-runner-webhook-router',
 * //   redacted: 'mongodb://***@a:27017,b:27017/github-runner-webhook-router', secrets: [...] }
 */
export function parseMongoUri(uri: string): MongoUriParts {
  const match = URI_PATTERN.exec(uri.trim())
  if (match === null || match[3] === undefined || match[3] === '') {
    throw new Error('MongoDB URI must look like mongodb://[user:password@]host[:port][,...]/[db]')
  }
  const [, scheme, userInfo, hosts, path] = match
  const databaseName = path === undefined || path === '' ? KOMBU_DEFAULT_DATABASE : decode(path)
  const secrets = userInfo === undefined ? [] : credentialStrings(userInfo)
  const credentials = userInfo === undefined ? '' : '***@'
  const databasePart = path === undefined || path === '' ? '' : `/${path}`
  return {
    databaseName,
    redacted: `${scheme}://${credentials}${hosts}${databasePart}`,
    secrets,
  }
}

/** Replaces every credential string in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  // Longest first, so a password containing the user name is removed whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length)
  return ordered.reduce((result, secret) => result.split(secret).join('***'), text)
}

function credentialStrings(userInfo: string): string[] {
  const parts = [userInfo, ...userInfo.split(':')]
  const all = parts.flatMap((part) => [part, decode(part)])
  // Very short strings (a one-letter user) would shred ordinary words in messages; the full
  // user:password string still catches them in context.
  return [...new Set(all)].filter((part) => part.length >= 3)
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

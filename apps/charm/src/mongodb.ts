import * as v from 'valibot'

/** The endpoint name; paas-charm derives it from the interface, and so do consumers' docs. */
export const MONGODB_ENDPOINT = 'mongodb'
/** The port mongodb-k8s listens on; its `endpoints` field carries hosts without a port. */
export const MONGODB_DEFAULT_PORT = 27017
/** What data_interfaces v0 requesters ask to receive through Juju secrets. */
export const MONGODB_REQUESTED_SECRETS = ['username', 'password', 'tls', 'tls-ca', 'uris'] as const

/**
 * The requirer's application databag, written by the leader on `mongodb-relation-created`:
 * a database named after the application, credentials requested as secrets.
 *
 * @example
 * ```ts
 * mongodbRequest('github-runner-webhook-router')
 * // { database: 'github-runner-webhook-router', 'requested-secrets': '["username",...]' }
 * ```
 */
export function mongodbRequest(appName: string): Record<string, string> {
  return { database: appName, 'requested-secrets': JSON.stringify(MONGODB_REQUESTED_SECRETS) }
}

/** The label data_interfaces v0 attaches to the provider's user secret on the requirer side. */
export function mongodbUserSecretLabel(relationId: number): string {
  return `${MONGODB_ENDPOINT}.${relationId}.user.secret`
}

const ProviderAppData = v.looseObject({
  'secret-user': v.optional(v.string()),
  uris: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
  endpoints: v.optional(v.string()),
  database: v.optional(v.string()),
  replset: v.optional(v.string()),
})

const UserSecretContent = v.looseObject({
  uris: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
})

/** Where the provider put the credentials: a Juju secret URI, or nothing (plain databag). */
export function mongodbUserSecretUri(providerAppData: unknown): string | undefined {
  const parsed = v.safeParse(ProviderAppData, providerAppData)
  const uri = parsed.success ? parsed.output['secret-user'] : undefined
  return uri && uri.trim() !== '' ? uri : undefined
}

/** The connect string, or why there is none yet (a blocked/missing-integration reason). */
export type MongodbConnection =
  | { readonly ok: true; readonly uri: string; readonly hosts: readonly string[] }
  | { readonly ok: false; readonly reason: string }

/**
 * Builds `MONGODB_DB_CONNECT_STRING` from the provider's application databag and, when the
 * provider used secrets, the content of its `secret-user` secret. Secret fields win over the
 * plain databag fields of older providers. A full `uris` is used verbatim (multi-host URIs
 * included); otherwise the URI is built from `username`, `password` and *every* host of
 * `endpoints`, so a replica set is reached even when its first member is down.
 *
 * @example
 * ```ts
 * mongodbConnection({ endpoints: 'm-0.m-endpoints,m-1.m-endpoints', database: 'db', replset: 'm' },
 *   { username: 'relation-7', password: 'pw' }, 'db')
 * // { ok: true, uri: 'mongodb://relation-7:pw@m-0.m-endpoints:27017,m-1.m-endpoints:27017/db?replicaSet=m&authSource=admin', ... }
 * ```
 */
export function mongodbConnection(
  providerAppData: unknown,
  secretContent: unknown,
  defaultDatabase: string,
): MongodbConnection {
  const bag = v.safeParse(ProviderAppData, providerAppData)
  if (!bag.success) return { ok: false, reason: 'the provider data is not a databag' }
  const secret = v.safeParse(UserSecretContent, secretContent ?? {})
  const fromSecret = secret.success ? secret.output : {}
  const data = bag.output
  const uris = nonEmpty(fromSecret.uris) ?? nonEmpty(data.uris)
  if (uris !== undefined) {
    const hosts = mongodbHosts(uris)
    if (hosts === undefined) return { ok: false, reason: 'the provider sent an invalid URI' }
    return { ok: true, uri: uris, hosts }
  }
  const username = nonEmpty(fromSecret.username) ?? nonEmpty(data.username)
  const password = nonEmpty(fromSecret.password) ?? nonEmpty(data.password)
  const endpoints = nonEmpty(data.endpoints)
  if (username === undefined || password === undefined || endpoints === undefined) {
    return { ok: false, reason: 'the provider has not sent credentials and endpoints yet' }
  }
  const hosts = endpoints
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '')
    .map((host) => (/:\d+$/.test(host) ? host : `${host}:${MONGODB_DEFAULT_PORT}`))
  const database = nonEmpty(data.database) ?? defaultDatabase
  const query = new URLSearchParams()
  const replset = nonEmpty(data.replset)
  if (replset !== undefined) query.set('replicaSet', replset)
  if (database !== 'admin') query.set('authSource', 'admin')
  const search = query.size > 0 ? `?${query.toString()}` : ''
  const credentials = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`
  const uri = `mongodb://${credentials}@${hosts.join(',')}/${encodeURIComponent(database)}${search}`
  return { ok: true, uri, hosts }
}

/**
 * The `host:port` list of a `mongodb://` or `mongodb+srv://` URI, or `undefined` when it is not
 * one. Unlike `urllib`/`URL`, this does not choke on several comma-separated hosts.
 */
export function mongodbHosts(uri: string): string[] | undefined {
  const match = /^mongodb(\+srv)?:\/\/(?:[^@/]*@)?([^/?#]+)/.exec(uri)
  const hostList = match?.[2]
  if (hostList === undefined) return undefined
  const hosts = hostList.split(',').filter((host) => host !== '')
  return hosts.length > 0 ? hosts : undefined
}

/** The URI with the password replaced, safe for logs and status messages. */
export function redactMongodbUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:@/]*:)[^@/]*@/, '$1***@')
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

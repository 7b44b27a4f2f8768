import { INGRESS_ENDPOINT, ingressUrl } from './ingress.js'
import type { CharmModel } from './model.js'
import { SecretAccessError } from './model.js'
import {
  MONGODB_ENDPOINT,
  mongodbConnection,
  mongodbUserSecretLabel,
  mongodbUserSecretUri,
} from './mongodb.js'
import { RABBITMQ_ENDPOINT, RABBITMQ_VHOST, rabbitmqConnection } from './rabbitmq.js'
import { SECRET_STORAGE_ENDPOINT, readSecretKey } from './secret-storage.js'

/** How far an integration is, in the lifecycle machine's terms. */
export type IntegrationState = 'absent' | 'pending' | 'ready'

/** A provider reached through a relation: not related, related but not ready (why), or its URI. */
export type ConnectionState =
  | { readonly status: 'absent' }
  | { readonly status: 'pending'; readonly relationId: number; readonly reason: string }
  | { readonly status: 'ready'; readonly relationId: number; readonly uri: string }

/** The database as read from the `mongodb` relation. */
export type DatabaseState = ConnectionState

/**
 * Reads the `mongodb` relation: the provider's application databag, and the `secret-user`
 * secret it points to (tracking moved to the latest revision, and the data_interfaces label
 * attached so the Python library would find it too). A secret that cannot be read leaves the
 * database pending with the reason, rather than failing the hook.
 */
export async function readDatabase(model: CharmModel): Promise<DatabaseState> {
  const [relationId] = await model.relationIds(MONGODB_ENDPOINT)
  if (relationId === undefined) return { status: 'absent' }
  const bag = await model.readBag(MONGODB_ENDPOINT, relationId, 'remote-app')
  const secretUri = mongodbUserSecretUri(bag)
  let secret: Record<string, string> | undefined
  if (secretUri !== undefined) {
    try {
      secret = await model.secretGet(secretUri, {
        label: mongodbUserSecretLabel(relationId),
        refresh: true,
      })
    } catch (error) {
      if (!(error instanceof SecretAccessError)) throw error
      return { status: 'pending', relationId, reason: error.message }
    }
  }
  const connection = mongodbConnection(bag, secret, model.appName)
  if (!connection.ok) return { status: 'pending', relationId, reason: connection.reason }
  return { status: 'ready', relationId, uri: connection.uri }
}

/** The broker as read from the `rabbitmq` relation. */
export type BrokerState = ConnectionState

/**
 * Reads the `rabbitmq` relation: the provider's application databag (rabbitmq-k8s), else its
 * units' (rabbitmq-server), for the user named after the application on the default vhost.
 */
export async function readBroker(model: CharmModel): Promise<BrokerState> {
  const [relationId] = await model.relationIds(RABBITMQ_ENDPOINT)
  if (relationId === undefined) return { status: 'absent' }
  const [app, units] = await Promise.all([
    model.readBag(RABBITMQ_ENDPOINT, relationId, 'remote-app'),
    model.readRemoteUnitBags(RABBITMQ_ENDPOINT, relationId),
  ])
  const connection = rabbitmqConnection(app, units, model.appName, RABBITMQ_VHOST)
  if (!connection.ok) return { status: 'pending', relationId, reason: connection.reason }
  return { status: 'ready', relationId, uri: connection.uri }
}

/** The application secret key from the `secret-storage` peer relation. */
export type SecretStorageState =
  | { readonly status: 'absent' }
  | { readonly status: 'pending'; readonly relationId: number }
  | { readonly status: 'ready'; readonly relationId: number; readonly key: string }

/** Reads the secret key every unit shares through the peer application databag. */
export async function readSecretStorage(model: CharmModel): Promise<SecretStorageState> {
  const [relationId] = await model.relationIds(SECRET_STORAGE_ENDPOINT)
  if (relationId === undefined) return { status: 'absent' }
  const key = readSecretKey(await model.readBag(SECRET_STORAGE_ENDPOINT, relationId, 'local-app'))
  return key === undefined
    ? { status: 'pending', relationId }
    : { status: 'ready', relationId, key }
}

/** The ingress relation and the URL its provider published. */
export type IngressState =
  | { readonly status: 'absent' }
  | { readonly status: 'pending'; readonly relationId: number }
  | { readonly status: 'ready'; readonly relationId: number; readonly url: string }

/** Reads the URL the ingress provider published, if any. */
export async function readIngress(model: CharmModel): Promise<IngressState> {
  const [relationId] = await model.relationIds(INGRESS_ENDPOINT)
  if (relationId === undefined) return { status: 'absent' }
  const url = ingressUrl(await model.readBag(INGRESS_ENDPOINT, relationId, 'remote-app'))
  return url === undefined
    ? { status: 'pending', relationId }
    : { status: 'ready', relationId, url }
}

/** The workload container, as named in `charmcraft.yaml`. */
export const WORKLOAD_CONTAINER = 'app'

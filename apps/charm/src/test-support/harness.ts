/** Fixtures for the harness tests: the charm's metadata, and states at each step of its life. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type {
  CharmMeta,
  Container,
  ContextOptions,
  Relation,
  Secret,
  State,
} from '@webhook-router/charm-machine/testing'
import {
  Context,
  container,
  createState,
  peerRelation,
  relation,
  secret,
} from '@webhook-router/charm-machine/testing'
import { parse } from 'yaml'
import { createRouterCharm, type RouterCharmOptions } from '../charm.js'

export const APP = 'github-runner-webhook-router'
export const KEY = 'k'.repeat(86)

const charmcraft = parse(
  readFileSync(join(import.meta.dirname, '../../charmcraft.yaml'), 'utf8'),
) as {
  config: { options: Record<string, { type: 'string' | 'int' | 'float' | 'boolean' | 'secret' }> }
  actions: Record<
    string,
    { params?: Record<string, { type: 'string' | 'integer' | 'number' | 'boolean' }> }
  >
  requires: Record<string, unknown>
  provides: Record<string, unknown>
  peers: Record<string, unknown>
}

/** The harness's metadata check, from charmcraft.yaml itself. */
export const META: CharmMeta = {
  config: Object.fromEntries(
    Object.entries(charmcraft.config.options).map(([name, option]) => [
      name,
      { type: option.type },
    ]),
  ),
  endpoints: [
    ...Object.keys(charmcraft.requires),
    ...Object.keys(charmcraft.provides),
    ...Object.keys(charmcraft.peers),
  ],
  actions: charmcraft.actions,
}

export function context(
  options: RouterCharmOptions = {},
  harness: Pick<ContextOptions, 'wrapTools'> = {},
): Context {
  return new Context(createRouterCharm({ random: (size) => Buffer.alloc(size, 7), ...options }), {
    appName: APP,
    meta: META,
    ...harness,
  })
}

export const CONFIG = {
  flavours: '- small: [small, x64]\n- large: [large, x64]',
  'default-flavour': 'small',
  'log-level': 'INFO',
  'webhook-secret': 's3cr3t',
}

export const URI = `mongodb://relation-5:Pw@m-0.m-endpoints:27017,m-1.m-endpoints:27017/${APP}?replicaSet=m&authSource=admin`

export function mongoSecret(
  content: Record<string, string> = { username: 'relation-5', password: 'Pw', uris: URI },
): Secret {
  return secret({ id: 'secret:mongouser0001', trackedContent: content })
}

export function mongodb(ready: boolean, extra: Partial<Relation> = {}): Relation {
  return relation({
    endpoint: 'mongodb',
    id: 5,
    remoteApp: 'mongodb-k8s',
    remoteUnitsData: { 'mongodb-k8s/0': {} },
    localAppData: {
      database: APP,
      'requested-secrets': '["username","password","tls","tls-ca","uris"]',
    },
    remoteAppData: ready
      ? {
          database: APP,
          endpoints: 'm-0.m-endpoints,m-1.m-endpoints',
          replset: 'm',
          'secret-user': 'secret:mongouser0001',
        }
      : {},
    ...extra,
  })
}

/** The secret-storage peer relation; `null` leaves the key out. */
export function peer(key: string | null = KEY): Relation {
  return peerRelation({
    endpoint: 'secret-storage',
    id: 1,
    localAppData: key === null ? {} : { app_secret_key: key },
  })
}

export function app(partial: Partial<Container> = {}): Container {
  return container({
    name: 'app',
    execs: [{ commandPrefix: ['webhook-router', 'migrate'], exitCode: 0, stdout: 'migrated\n' }],
    ...partial,
  })
}

/** A unit with everything in place: Pebble up, key stored, database ready, valid config. */
export function readyState(partial: Partial<State> = {}): State {
  return createState({
    leader: true,
    config: CONFIG,
    containers: [app()],
    relations: [peer(), mongodb(true)],
    secrets: [mongoSecret()],
    ...partial,
  })
}

/** What rabbitmq-k8s answers in its application databag. */
export const BROKER = { hostname: 'rabbitmq-k8s.prod.svc.cluster.local', password: 'P@ss/w0rd' }

/** The connect string the charm builds from {@link BROKER} for the application's user. */
export const AMQP_URI = `amqp://${APP}:P%40ss%2Fw0rd@rabbitmq-k8s.prod.svc.cluster.local:5672/%2F`

/** The `rabbitmq` relation to rabbitmq-k8s, answered (`ready`) or not. */
export function rabbitmq(ready: boolean, extra: Partial<Relation> = {}): Relation {
  return relation({
    endpoint: 'rabbitmq',
    id: 9,
    remoteApp: 'rabbitmq-k8s',
    remoteUnitsData: { 'rabbitmq-k8s/0': {} },
    localAppData: { username: APP, vhost: '/' },
    remoteAppData: ready ? { ...BROKER } : {},
    ...extra,
  })
}

/** The config of a router that only publishes the gateway's stream: no flavour table. */
export const STREAM_CONFIG = { 'publish-mode': 'stream', 'log-level': 'INFO' }

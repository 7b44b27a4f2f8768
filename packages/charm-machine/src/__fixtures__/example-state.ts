import { container, createState, peerRelation, relation } from '../testing/index.js'
import type { State } from '../testing/index.js'

/**
 * A leader unit of the example charm with every relation it needs (db, peers, ingress) and a
 * `web` container whose `migrate` succeeds, for tests of the `/juju` runtime.
 */
export function exampleRelatedState(overrides: Partial<State> = {}): State {
  return createState({
    leader: true,
    containers: [container({ name: 'web', execs: [{ commandPrefix: ['migrate'] }] })],
    relations: [
      relation({
        endpoint: 'db',
        id: 7,
        remoteApp: 'mongodb-k8s',
        remoteAppData: { uris: 'mongodb://h/example', endpoints: 'h0' },
      }),
      peerRelation({ endpoint: 'peers', id: 3, localAppData: { secret_key: 'k' } }),
      relation({
        endpoint: 'ingress',
        id: 9,
        remoteApp: 'traefik',
        remoteAppData: { ingress: '{"url": "http://example.com/prod-example"}' },
      }),
    ],
    ...overrides,
  })
}

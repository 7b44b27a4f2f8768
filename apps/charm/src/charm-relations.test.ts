import { on, relation, secret } from '@webhook-router/charm-machine/testing'
import { describe, expect, it } from 'vitest'
import {
  APP,
  KEY,
  context,
  mongoSecret,
  mongodb,
  peer,
  readyState,
} from './test-support/harness.js'

function environmentOf(state: Awaited<ReturnType<ReturnType<typeof context>['run']>>['state']) {
  return (
    state.containers[0]?.layers['webhook-router']?.services?.['webhook-router']?.environment ?? {}
  )
}

describe('the mongodb_client requirer', () => {
  it('requests a database named after the application when the relation is created', async () => {
    const fresh = mongodb(false, { localAppData: {} })
    const out = await context().run(
      on.relationCreated(fresh),
      readyState({ relations: [peer(), fresh] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'mongodb')?.localAppData).toEqual({
      database: APP,
      'requested-secrets': '["username","password","tls","tls-ca","uris"]',
    })
  })

  it('does not write the request as a non-leader', async () => {
    const fresh = mongodb(false, { localAppData: {} })
    const out = await context().run(
      on.relationCreated(fresh),
      readyState({ leader: false, relations: [peer(), fresh] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'mongodb')?.localAppData).toEqual({})
  })

  it('migrates on database-created with the URI from the secret, multi-host included', async () => {
    const state = readyState()
    const mongo = state.relations.find((r) => r.endpoint === 'mongodb')
    if (!mongo) throw new Error('no mongodb relation')
    const out = await context().run(on.relationChanged(mongo), state)
    expect(out.event?.type).toBe('juju.database-created')
    expect(environmentOf(out.state)['MONGODB_DB_CONNECT_STRING']).toContain(
      'm-0.m-endpoints:27017,m-1.m-endpoints:27017',
    )
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('builds the URI from the plain databag fields of an older provider', async () => {
    const plain = mongodb(true, {
      remoteAppData: {
        database: APP,
        endpoints: 'h0,h1:27018',
        replset: 'rs',
        username: 'u',
        password: 'p w',
      },
    })
    const out = await context().run(
      on.relationChanged(plain),
      readyState({ relations: [peer(), plain], secrets: [] }),
    )
    expect(environmentOf(out.state)['MONGODB_DB_CONNECT_STRING']).toBe(
      `mongodb://u:p%20w@h0:27017,h1:27018/${APP}?replicaSet=rs&authSource=admin`,
    )
  })

  it('prefers the secret fields over plain ones', async () => {
    const both = mongodb(true)
    both.remoteAppData['uris'] = 'mongodb://stale:stale@old:1/db'
    const out = await context().run(on.configChanged(), readyState({ relations: [peer(), both] }))
    expect(environmentOf(out.state)['MONGODB_DB_CONNECT_STRING']).not.toContain('stale')
  })

  it('waits, without failing the hook, while the credentials secret is not readable', async () => {
    const out = await context().run(on.configChanged(), readyState({ secrets: [] }))
    expect(out.exitCode).toBe(0)
    expect(out.state.unitStatus).toEqual({
      name: 'waiting',
      message: 'Waiting for integrations: mongodb',
    })
  })

  it('restarts with the new URI when the provider rotates the secret', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const rotated = mongoSecret({
      username: 'relation-5',
      password: 'New',
      uris: 'mongodb://relation-5:New@m-2:27017/db',
    })
    rotated.latestContent = rotated.trackedContent
    const out = await context().run(on.secretChanged(rotated), {
      ...settled.state,
      secrets: [rotated],
    })
    expect(environmentOf(out.state)['MONGODB_DB_CONNECT_STRING']).toBe(
      'mongodb://relation-5:New@m-2:27017/db',
    )
  })
})

describe('departing units', () => {
  it('stays active when a mongodb unit departs but the relation remains', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const mongo = settled.state.relations.find((r) => r.endpoint === 'mongodb')
    if (!mongo) throw new Error('no mongodb relation')
    const out = await context().run(
      on.relationDeparted(mongo, { remoteUnit: 'mongodb-k8s/0' }),
      settled.state,
    )
    expect(out.exitCode).toBe(0)
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })

  it('stays active when a peer unit departs', async () => {
    const settled = await context().run(on.configChanged(), readyState())
    const storage = settled.state.relations.find((r) => r.endpoint === 'secret-storage')
    if (!storage) throw new Error('no peer relation')
    storage.remoteUnitsData = { [`${APP}/1`]: {} }
    const out = await context().run(
      on.relationDeparted(storage, { remoteUnit: `${APP}/1` }),
      settled.state,
    )
    expect(out.event?.type).toBe('juju.secret-storage-departed')
    expect(out.state.unitStatus).toEqual({ name: 'active', message: '' })
  })
})

describe('the ingress v2 requirer', () => {
  const ingress = () =>
    relation({
      endpoint: 'ingress',
      id: 9,
      remoteApp: 'traefik-k8s',
      remoteUnitsData: { 'traefik-k8s/0': {} },
    })

  it('publishes the application and unit data on any hook', async () => {
    const rel = ingress()
    const out = await context().run(
      on.updateStatus(),
      readyState({ relations: [peer(), mongodb(true), rel] }),
    )
    const published = out.state.relations.find((r) => r.endpoint === 'ingress')
    expect(published?.localAppData).toEqual({
      model: '"test-model"',
      name: `"${APP}"`,
      port: '8000',
      'strip-prefix': 'true',
    })
    expect(published?.localUnitData['host']).toBe(
      `"${APP}-0.${APP}-endpoints.test-model.svc.cluster.local"`,
    )
  })

  it('leaves the application data to the leader', async () => {
    const rel = ingress()
    const out = await context().run(
      on.updateStatus(),
      readyState({ leader: false, relations: [peer(), mongodb(true), rel] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'ingress')?.localAppData).toEqual({})
  })

  it('passes the ingress URL to the workload when the provider answers', async () => {
    const rel = ingress()
    rel.remoteAppData = { ingress: '{"url": "http://juju.test/test-model-router"}' }
    const out = await context().run(
      on.relationChanged(rel),
      readyState({ relations: [peer(), mongodb(true), rel] }),
    )
    expect(out.event?.type).toBe('juju.ingress-ready')
    expect(environmentOf(out.state)['APP_BASE_URL']).toBe('http://juju.test/test-model-router')
  })

  it('falls back to the in-cluster URL when ingress is revoked', async () => {
    const rel = ingress()
    rel.remoteAppData = { ingress: '{"url": "http://juju.test/x"}' }
    const ready = await context().run(
      on.relationChanged(rel),
      readyState({ relations: [peer(), mongodb(true), rel] }),
    )
    const out = await context().run(on.relationBroken(rel), ready.state)
    expect(out.event?.type).toBe('juju.ingress-revoked')
    expect(environmentOf(out.state)['APP_BASE_URL']).toBe(`http://${APP}.test-model:8000`)
  })
})

describe('the secret-storage peer', () => {
  it('makes the leader generate the key when the relation is created', async () => {
    const rel = peer(null)
    const out = await context().run(
      on.relationCreated(rel),
      readyState({ relations: [rel, mongodb(true)] }),
    )
    expect(
      out.state.relations.find((r) => r.endpoint === 'secret-storage')?.localAppData[
        'app_secret_key'
      ],
    ).toBe(Buffer.alloc(64, 7).toString('base64url'))
  })

  it('never replaces an existing key on a repeated relation-created', async () => {
    const rel = peer()
    const out = await context().run(
      on.relationCreated(rel),
      readyState({ relations: [rel, mongodb(true)] }),
    )
    expect(
      out.state.relations.find((r) => r.endpoint === 'secret-storage')?.localAppData[
        'app_secret_key'
      ],
    ).toBe(KEY)
  })

  it('leaves a non-leader waiting for the key', async () => {
    const rel = peer(null)
    const out = await context().run(
      on.relationCreated(rel),
      readyState({ leader: false, relations: [rel, mongodb(true)] }),
    )
    expect(out.state.relations.find((r) => r.endpoint === 'secret-storage')?.localAppData).toEqual(
      {},
    )
    expect(out.state.unitStatus).toEqual({
      name: 'waiting',
      message: 'Waiting for peer integration',
    })
  })

  it('restarts a follower with the key the leader rotated', async () => {
    const settled = await context().run(on.configChanged(), readyState({ leader: false }))
    const rel = settled.state.relations.find((r) => r.endpoint === 'secret-storage')
    if (!rel) throw new Error('no peer')
    rel.localAppData['app_secret_key'] = 'rotated'
    rel.remoteUnitsData = { [`${APP}/1`]: {} }
    const out = await context().run(on.relationChanged(rel), settled.state)
    expect(environmentOf(out.state)['APP_SECRET_KEY']).toBe('rotated')
  })
})

describe('observability', () => {
  it('publishes the scrape job, alert rules and the dashboard as leader', async () => {
    const metrics = relation({ endpoint: 'metrics-endpoint', id: 11, remoteApp: 'prometheus' })
    const grafana = relation({ endpoint: 'grafana-dashboard', id: 12, remoteApp: 'grafana' })
    const out = await context().run(
      on.relationJoined(metrics),
      readyState({ relations: [peer(), mongodb(true), metrics, grafana] }),
    )
    const scrape = out.state.relations.find((r) => r.endpoint === 'metrics-endpoint')
    expect(JSON.parse(scrape?.localAppData['scrape_jobs'] ?? '[]')).toEqual([
      { metrics_path: '/metrics', static_configs: [{ targets: ['*:9102'] }] },
    ])
    expect(scrape?.localUnitData['prometheus_scrape_unit_name']).toBe(`${APP}/0`)
    const dashboards = JSON.parse(
      out.state.relations.find((r) => r.endpoint === 'grafana-dashboard')?.localAppData[
        'dashboards'
      ] ?? '{}',
    )
    expect(Object.keys(dashboards.templates)).toEqual(['file:webhook-router.json'])
  })

  it('keeps the user secret out of the relation data', async () => {
    const auth = secret({ id: 'secret:ghauth0002', trackedContent: { token: 'ghp_hidden' } })
    const metrics = relation({ endpoint: 'metrics-endpoint', id: 11, remoteApp: 'prometheus' })
    const out = await context().run(
      on.configChanged(),
      readyState({ relations: [peer(), mongodb(true), metrics], secrets: [mongoSecret(), auth] }),
    )
    expect(JSON.stringify(out.state.relations)).not.toContain('ghp_hidden')
  })
})

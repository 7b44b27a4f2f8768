import { describe, expect, it } from 'vitest'
import {
  mongodbConnection,
  mongodbHosts,
  mongodbRequest,
  mongodbUserSecretLabel,
  mongodbUserSecretUri,
  redactMongodbUri,
} from './mongodb.js'

const APP = 'github-runner-webhook-router'

describe('mongodb requirer data', () => {
  it('requests a database named after the application, with credentials as secrets', () => {
    expect(mongodbRequest(APP)).toEqual({
      database: APP,
      'requested-secrets': '["username","password","tls","tls-ca","uris"]',
    })
  })

  it('labels the user secret the way data_interfaces does', () => {
    expect(mongodbUserSecretLabel(7)).toBe('mongodb.7.user.secret')
  })

  it('finds the secret-user URI in the provider databag', () => {
    expect(mongodbUserSecretUri({ 'secret-user': 'secret://m/abc' })).toBe('secret://m/abc')
    expect(mongodbUserSecretUri({ uris: 'mongodb://x' })).toBeUndefined()
    expect(mongodbUserSecretUri('not a bag')).toBeUndefined()
  })
})

describe('mongodbConnection', () => {
  const multiHost =
    'mongodb://relation-7:Pw@m-0.m-endpoints:27017,m-1.m-endpoints:27017/' +
    `${APP}?replicaSet=m&authSource=admin`

  it('uses the uris from the user secret verbatim, multi-host included', () => {
    const result = mongodbConnection({ 'secret-user': 'secret:1' }, { uris: multiHost }, APP)
    expect(result).toEqual({
      ok: true,
      uri: multiHost,
      hosts: ['m-0.m-endpoints:27017', 'm-1.m-endpoints:27017'],
    })
  })

  it('prefers the secret over plain databag fields of older providers', () => {
    const result = mongodbConnection({ uris: 'mongodb://old:old@h:1/db' }, { uris: multiHost }, APP)
    expect(result).toMatchObject({ ok: true, uri: multiHost })
  })

  it('falls back to the plain uris field when there is no secret', () => {
    expect(mongodbConnection({ uris: multiHost }, undefined, APP)).toMatchObject({
      ok: true,
      uri: multiHost,
    })
  })

  it('builds a URI over every endpoint from username, password and endpoints', () => {
    const result = mongodbConnection(
      { endpoints: 'm-0.m-endpoints,m-1.m-endpoints', database: APP, replset: 'm' },
      { username: 'relation-7', password: 'p@ss/word' },
      APP,
    )
    expect(result).toMatchObject({
      ok: true,
      uri:
        'mongodb://relation-7:p%40ss%2Fword@m-0.m-endpoints:27017,m-1.m-endpoints:27017/' +
        `${APP}?replicaSet=m&authSource=admin`,
    })
  })

  it('keeps an explicit port on an endpoint', () => {
    const result = mongodbConnection(
      { endpoints: 'h:27018', username: 'u', password: 'p' },
      undefined,
      APP,
    )
    expect(result).toMatchObject({ ok: true, uri: `mongodb://u:p@h:27018/${APP}?authSource=admin` })
  })

  it('reports the provider as not ready while credentials are missing', () => {
    expect(mongodbConnection({ endpoints: 'h' }, undefined, APP)).toEqual({
      ok: false,
      reason: 'the provider has not sent credentials and endpoints yet',
    })
  })

  it('rejects a uris value that is not a MongoDB URI', () => {
    expect(mongodbConnection({ uris: 'http://x' }, undefined, APP)).toEqual({
      ok: false,
      reason: 'the provider sent an invalid URI',
    })
  })
})

describe('mongodb URI helpers', () => {
  it('lists the hosts of an SRV URI', () => {
    expect(mongodbHosts('mongodb+srv://u:p@cluster.example.com/db')).toEqual([
      'cluster.example.com',
    ])
  })

  it('redacts the password', () => {
    expect(redactMongodbUri('mongodb://relation-7:Secret@h:1,h2:2/db')).toBe(
      'mongodb://relation-7:***@h:1,h2:2/db',
    )
  })
})

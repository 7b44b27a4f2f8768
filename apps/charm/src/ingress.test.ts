import { describe, expect, it } from 'vitest'
import { databagChanges, ingressAppData, ingressUnitData, ingressUrl, unitFqdn } from './ingress.js'

describe('ingress v2 requirer data', () => {
  it('JSON-encodes every application field and strips the prefix', () => {
    expect(
      ingressAppData({
        model: 'prod',
        app: 'github-runner-webhook-router',
        port: 8000,
        stripPrefix: true,
      }),
    ).toEqual({
      model: '"prod"',
      name: '"github-runner-webhook-router"',
      port: '8000',
      'strip-prefix': 'true',
    })
  })

  it('leaves strip-prefix out when it is the default', () => {
    expect(
      ingressAppData({ model: 'm', app: 'a', port: 8000, stripPrefix: false }),
    ).not.toHaveProperty('strip-prefix')
  })

  it('publishes the unit host and address as JSON strings', () => {
    expect(ingressUnitData('a-0.a-endpoints.m.svc.cluster.local', '10.1.2.3')).toEqual({
      host: '"a-0.a-endpoints.m.svc.cluster.local"',
      ip: '"10.1.2.3"',
    })
  })

  it('derives the unit FQDN from the unit and model names', () => {
    expect(unitFqdn('github-runner-webhook-router/1', 'prod')).toBe(
      'github-runner-webhook-router-1.github-runner-webhook-router-endpoints.prod.svc.cluster.local',
    )
  })

  it('reads the URL from the provider databag', () => {
    expect(ingressUrl({ ingress: '{"url": "http://example.com/prod-router"}' })).toBe(
      'http://example.com/prod-router',
    )
  })

  it('treats malformed provider data as no URL', () => {
    expect(ingressUrl({})).toBeUndefined()
    expect(ingressUrl({ ingress: 'not json' })).toBeUndefined()
    expect(ingressUrl({ ingress: '{"url": "not a url"}' })).toBeUndefined()
    expect(ingressUrl({ ingress: '{"url": "ftp://example.com"}' })).toBeUndefined()
  })
})

describe('databagChanges', () => {
  it('writes only changed keys and deletes unwanted ones with an empty string', () => {
    expect(databagChanges({ a: '1', b: '2', stale: 'x' }, { a: '1', b: '3' })).toEqual({
      b: '3',
      stale: '',
    })
  })

  it('returns nothing when the bag already holds the desired data', () => {
    expect(databagChanges({ a: '1' }, { a: '1' })).toEqual({})
  })
})

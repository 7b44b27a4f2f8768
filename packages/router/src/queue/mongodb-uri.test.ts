import { describe, expect, it } from 'vitest'
import { parseMongoUri, redactSecrets } from './mongodb-uri.js'

describe('parseMongoUri', () => {
  it('takes the database from the path of a multi-host URI with options', () => {
    const parts = parseMongoUri(
      'mongodb://router:s3cr%40t@10.0.0.1:27017,10.0.0.2:27017/github-runner-webhook-router?replicaSet=rs0&authSource=admin',
    )
    expect(parts.databaseName).toBe('github-runner-webhook-router')
    expect(parts.redacted).toBe(
      'mongodb://***@10.0.0.1:27017,10.0.0.2:27017/github-runner-webhook-router',
    )
    expect(parts.secrets).toEqual(
      expect.arrayContaining(['router:s3cr%40t', 's3cr%40t', 's3cr@t', 'router']),
    )
  })

  it("falls back to kombu's default database without a path or with a bare slash", () => {
    expect(parseMongoUri('mongodb://localhost').databaseName).toBe('kombu_default')
    expect(parseMongoUri('mongodb://localhost/').databaseName).toBe('kombu_default')
    expect(parseMongoUri('mongodb://localhost/?replicaSet=rs').databaseName).toBe('kombu_default')
  })

  it('accepts mongodb+srv URIs and percent-decoded database names', () => {
    const parts = parseMongoUri('mongodb+srv://cluster.example.com/my%2Ddb')
    expect(parts).toEqual({
      databaseName: 'my-db',
      redacted: 'mongodb+srv://cluster.example.com/my%2Ddb',
      secrets: [],
    })
  })

  it('rejects text that is not a MongoDB URI without echoing it', () => {
    expect(() => parseMongoUri('postgres://user:hunter22@db/x')).toThrow(
      /^MongoDB URI must look like mongodb:\/\//,
    )
    expect(() => parseMongoUri('mongodb://user:hunter22@/x')).toThrow(/must look like/)
    expect(() => parseMongoUri('http://user:hunter22@db/x')).toThrow(/^(?!.*hunter22)/)
  })
})

describe('redactSecrets', () => {
  it('replaces every occurrence of each secret, longest first', () => {
    expect(redactSecrets('auth as router:pw123 failed for pw123', ['pw123', 'router:pw123'])).toBe(
      'auth as *** failed for ***',
    )
  })
})

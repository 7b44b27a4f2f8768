import { describe, expect, it } from 'vitest'
import { parseCharmConfig, type CharmConfig } from './config.js'
import {
  githubAuthEnvironment,
  githubAuthProblem,
  planHasLayer,
  workloadEnvironment,
  workloadLayer,
} from './workload-layer.js'

function config(extra: Record<string, unknown> = {}): CharmConfig {
  const result = parseCharmConfig({
    flavours: '- small: [small]',
    'default-flavour': 'small',
    ...extra,
  })
  if (!result.ok) throw new Error(result.message)
  return result.config
}

const base = { mongodbUri: 'mongodb://u:p@h:27017/db', secretKey: 'k', baseUrl: 'http://a.m:8000' }

describe('workloadEnvironment', () => {
  it('passes the router settings, the database and the ports', () => {
    expect(workloadEnvironment({ ...base, config: config() })).toEqual({
      APP_FLAVOURS: '- small: [small]',
      APP_DEFAULT_FLAVOUR: 'small',
      APP_DEFAULT_SELF_HOSTED_LABELS: 'self-hosted,linux',
      APP_LOG_LEVEL: 'INFO',
      APP_PORT: '8000',
      APP_METRICS_PORT: '9102',
      APP_BASE_URL: 'http://a.m:8000',
      APP_SECRET_KEY: 'k',
      MONGODB_DB_CONNECT_STRING: 'mongodb://u:p@h:27017/db',
    })
  })

  it('passes the broker, the mode and an absolute dedup path when the stream is published', () => {
    const rabbitmqUri = 'amqp://router:pw@rabbitmq:5672/%2F'
    const stream = workloadEnvironment({
      secretKey: 'k',
      baseUrl: 'http://a.m:8000',
      rabbitmqUri,
      config: config({ 'publish-mode': 'stream', flavours: '', 'default-flavour': '' }),
    })
    expect(stream).toMatchObject({
      APP_PUBLISH_MODE: 'stream',
      RABBITMQ_CONNECT_STRING: rabbitmqUri,
      APP_STREAM_DEDUP_PATH: '/var/lib/webhook-router/stream-dedup.sqlite',
    })
    expect(Object.keys(stream)).not.toContain('APP_FLAVOURS')
    expect(Object.keys(stream)).not.toContain('MONGODB_DB_CONNECT_STRING')
    const both = workloadEnvironment({
      ...base,
      rabbitmqUri,
      config: config({ 'publish-mode': 'both' }),
    })
    expect(both).toMatchObject({
      APP_PUBLISH_MODE: 'both',
      APP_FLAVOURS: '- small: [small]',
      MONGODB_DB_CONNECT_STRING: base.mongodbUri,
      RABBITMQ_CONNECT_STRING: rabbitmqUri,
    })
  })

  it('adds both webhook secrets during a rotation', () => {
    const env = workloadEnvironment({
      ...base,
      config: config({ 'webhook-secret': 'new', 'webhook-secret-previous': 'old' }),
    })
    expect(env).toMatchObject({ APP_WEBHOOK_SECRET: 'new', APP_WEBHOOK_SECRET_PREVIOUS: 'old' })
  })

  it('adds automatic redelivery with the GitHub credentials from the secret', () => {
    const env = workloadEnvironment({
      ...base,
      config: config({
        'redelivery-interval': 600,
        'redelivery-github-path': 'org',
        'redelivery-webhook-id': 9,
        'redelivery-github-auth': 'secret:x',
        'github-api-url': 'http://127.0.0.1:1234',
      }),
      redeliveryAuth: { token: 'ghp_x' },
    })
    expect(env).toMatchObject({
      APP_REDELIVERY_INTERVAL: '600',
      APP_REDELIVERY_GITHUB_PATH: 'org',
      APP_REDELIVERY_WEBHOOK_ID: '9',
      GITHUB_TOKEN: 'ghp_x',
      GITHUB_API_URL: 'http://127.0.0.1:1234',
    })
  })

  it('passes the Juju proxy settings in both spellings', () => {
    const env = workloadEnvironment({
      ...base,
      config: config(),
      proxy: { http: 'http://proxy:3128', noProxy: 'localhost' },
    })
    expect(env).toMatchObject({
      HTTP_PROXY: 'http://proxy:3128',
      http_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost',
      no_proxy: 'localhost',
    })
    expect(env).not.toHaveProperty('HTTPS_PROXY')
  })
})

describe('GitHub credentials', () => {
  it('maps the secret fields to the workload variables and drops empty ones', () => {
    expect(
      githubAuthEnvironment({
        'client-id': 'Iv1',
        'installation-id': '5',
        'private-key': 'K',
        token: '',
      }),
    ).toEqual({
      GITHUB_APP_CLIENT_ID: 'Iv1',
      GITHUB_APP_INSTALLATION_ID: '5',
      GITHUB_APP_PRIVATE_KEY: 'K',
    })
  })

  it('accepts a token or a complete GitHub App, nothing else', () => {
    expect(githubAuthProblem({ token: 't' })).toBeUndefined()
    expect(
      githubAuthProblem({ 'client-id': 'a', 'installation-id': '1', 'private-key': 'k' }),
    ).toBeUndefined()
    expect(githubAuthProblem({ token: 't', 'client-id': 'a' })).toBe(
      'holds both a token and GitHub App fields',
    )
    expect(githubAuthProblem({ 'client-id': 'a' })).toMatch(/needs a 'token' field/)
  })
})

describe('workloadLayer', () => {
  const env = { A: '1' }

  it('runs webhook-router serve with a ready check on /health', () => {
    const layer = workloadLayer(env)
    expect(layer.services['webhook-router']).toMatchObject({
      override: 'replace',
      command: 'webhook-router serve',
      startup: 'enabled',
      environment: env,
    })
    expect(layer.checks['webhook-router-ready']).toMatchObject({
      level: 'ready',
      http: { url: 'http://localhost:8000/health' },
    })
  })

  it('matches a plan that already runs the same service and check', () => {
    const layer = workloadLayer(env)
    const plan = { services: layer.services, checks: layer.checks }
    expect(planHasLayer(plan, layer)).toBe(true)
  })

  it('does not match a plan whose environment differs', () => {
    const layer = workloadLayer(env)
    const plan = {
      services: {
        'webhook-router': { ...layer.services['webhook-router'], environment: { A: '2' } },
      },
      checks: layer.checks,
    }
    expect(planHasLayer(plan, layer)).toBe(false)
  })

  it('does not match an empty or malformed plan', () => {
    const layer = workloadLayer(env)
    expect(planHasLayer({}, layer)).toBe(false)
    expect(planHasLayer('services:', layer)).toBe(false)
  })
})

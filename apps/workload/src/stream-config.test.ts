import { describe, expect, it } from 'vitest'
import { parseStreamConfig, redactSecrets, routerEnvFor, WorkloadConfigError } from './config.js'

const uri = 'amqp://router:s3cret@rabbit:5672/%2F'

describe('parseStreamConfig', () => {
  it('keeps the kombu mode when no broker is configured', () => {
    expect(parseStreamConfig({})).toEqual({
      mode: 'kombu',
      rabbitmqUri: undefined,
      dedupPath: './.data/stream-dedup.sqlite',
      refuseUnroutable: true,
    })
  })

  it("runs the gateway's mode with only the gateway's variables", () => {
    expect(parseStreamConfig({ RABBITMQ_CONNECT_STRING: uri }).mode).toBe('stream')
  })

  it('feeds both generations when a flavour table is set beside the broker', () => {
    const env = { RABBITMQ_CONNECT_STRING: uri, APP_FLAVOURS: '[{small: [small]}]' }
    expect(parseStreamConfig(env).mode).toBe('both')
  })

  it('takes an explicit mode, in any case', () => {
    const env = { RABBITMQ_CONNECT_STRING: uri, APP_FLAVOURS: '[]', APP_PUBLISH_MODE: 'Stream' }
    expect(parseStreamConfig(env).mode).toBe('stream')
  })

  it.each([
    [{ APP_PUBLISH_MODE: 'stream' }, "'stream' needs 'RABBITMQ_CONNECT_STRING'"],
    [{ APP_PUBLISH_MODE: 'gateway' }, 'Expected one of kombu, stream, both'],
    [{ RABBITMQ_CONNECT_STRING: 'http://rabbit' }, 'Expected an amqp:// or amqps:// URI'],
    [{ RABBITMQ_CONNECT_STRING: uri, APP_STREAM_UNROUTABLE: 'maybe' }, 'Expected refuse or drop'],
    [
      { APP_WEBHOOK_SECRET: 'a1', APP_WEBHOOK_SECRET_VALUE: 'b2' },
      "It differs from 'APP_WEBHOOK_SECRET'",
    ],
  ])('refuses %j with a one-line reason', (env, reason) => {
    expect(() => parseStreamConfig(env)).toThrow(WorkloadConfigError)
    expect(() => parseStreamConfig(env)).toThrow(reason)
  })

  it('never echoes the broker URI in its message', () => {
    expect(() => parseStreamConfig({ RABBITMQ_CONNECT_STRING: 'ftp://u:s3cret@h' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    )
  })
})

describe('routerEnvFor', () => {
  it("uses the gateway's secret name for the router's secret", () => {
    expect(routerEnvFor({ APP_WEBHOOK_SECRET_VALUE: 'shh' }, 'kombu')['APP_WEBHOOK_SECRET']).toBe(
      'shh',
    )
  })

  it('needs no flavour table in the stream mode, and keeps one that is set', () => {
    const none = routerEnvFor({}, 'stream')
    expect(none['APP_FLAVOURS']).toBe('[]')
    expect(routerEnvFor({ APP_FLAVOURS: '[{a: [a]}]' }, 'stream')['APP_FLAVOURS']).toBe(
      '[{a: [a]}]',
    )
    expect(routerEnvFor({}, 'both')['APP_FLAVOURS']).toBeUndefined()
  })
})

describe('redactSecrets', () => {
  it('hides the broker URI, its password and the gateway secret', () => {
    const env = { RABBITMQ_CONNECT_STRING: uri, APP_WEBHOOK_SECRET_VALUE: 'gateway-secret' }
    expect(redactSecrets(`failed on ${uri} with s3cret and gateway-secret`, env)).toBe(
      'failed on *** with *** and ***',
    )
  })
})

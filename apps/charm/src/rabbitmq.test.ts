import { describe, expect, it } from 'vitest'
import { rabbitmqConnection, rabbitmqRequest, redactRabbitmqUri } from './rabbitmq.js'

describe('the rabbitmq interface', () => {
  it('asks for a user and a vhost in the application databag', () => {
    expect(rabbitmqRequest('github-runner-webhook-router', '/')).toEqual({
      username: 'github-runner-webhook-router',
      vhost: '/',
    })
  })

  it("builds the connect string from rabbitmq-k8s's application databag", () => {
    expect(
      rabbitmqConnection({ hostname: 'rabbitmq.m.svc', password: 'p@ss/w' }, [], 'router', '/'),
    ).toEqual({
      ok: true,
      hostname: 'rabbitmq.m.svc',
      uri: 'amqp://router:p%40ss%2Fw@rabbitmq.m.svc:5672/%2F',
    })
  })

  it("falls back to rabbitmq-server's unit databags, which carry the same password", () => {
    const connection = rabbitmqConnection(
      {},
      [{ 'ingress-address': '10.0.0.4' }, { hostname: '10.0.0.5', password: 'pw' }],
      'router',
      'runners',
    )
    expect(connection).toMatchObject({ ok: true, uri: 'amqp://router:pw@10.0.0.5:5672/runners' })
  })

  it('waits while the provider has sent no hostname or no password', () => {
    expect(rabbitmqConnection({ hostname: 'h' }, [{ password: 'pw' }], 'router', '/')).toEqual({
      ok: false,
      reason: 'the RabbitMQ provider has not sent a hostname and password yet',
    })
  })

  it('brackets an IPv6 hostname', () => {
    expect(rabbitmqConnection({ hostname: 'fd00::5', password: 'pw' }, [], 'r', '/')).toMatchObject(
      {
        uri: 'amqp://r:pw@[fd00::5]:5672/%2F',
      },
    )
  })

  it('hides the password of every amqp(s) URI in a message', () => {
    expect(
      redactRabbitmqUri('connect amqp://r:p%40ss@h:5672/%2F failed; amqps://u:x@h2/v too'),
    ).toBe('connect amqp://r:***@h:5672/%2F failed; amqps://u:***@h2/v too')
  })
})

import { createHmac, createSign } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { checkAppJwt, createTestAppKey } from './app-jwt.js'
import { startGitHubDouble } from './github-double.js'
import type { GitHubDouble } from './github-double.js'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A webhook receiver on loopback that answers with `status()`. */
async function startReceiver(status: () => number) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(status()).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`
  return { url, received, close: () => new Promise((r) => server.close(r)) }
}

let github: GitHubDouble
beforeEach(async () => {
  github = await startGitHubDouble()
})
afterEach(async () => {
  await github.close()
})

async function api(path: string, init: RequestInit = {}) {
  const response = await fetch(`${github.url}${path}`, {
    ...init,
    headers: { authorization: 'token test-token', ...init.headers },
  })
  return {
    status: response.status,
    link: response.headers.get('link'),
    body: (await response.json()) as unknown,
  }
}

describe('startGitHubDouble webhooks', () => {
  it('sends a signed webhook and records a failed delivery when the receiver answers 503', async () => {
    let status = 503
    const receiver = await startReceiver(() => status)
    const hook = { owner: 'o', repo: 'r', hookId: 9, url: receiver.url, secret: 's3cret' }
    github.addHook(hook)
    const delivery = await github.sendWebhook(hook, {
      event: 'workflow_job',
      payload: { action: 'queued' },
    })

    const [request] = receiver.received
    expect(request?.headers['x-github-event']).toBe('workflow_job')
    expect(request?.headers['x-github-delivery']).toBe(delivery.guid)
    expect(request?.headers['x-github-hook-id']).toBe('9')
    const expected = createHmac('sha256', 's3cret')
      .update(request?.body ?? '')
      .digest('hex')
    expect(request?.headers['x-hub-signature-256']).toBe(`sha256=${expected}`)
    expect(delivery.json).toMatchObject({
      status: 'Invalid HTTP Response: 503',
      status_code: 503,
      action: 'queued',
    })

    status = 200
    const attempt = await api(`/repos/o/r/hooks/9/deliveries/${delivery.id}/attempts`, {
      method: 'POST',
    })
    expect(attempt.status).toBe(202)
    expect(receiver.received).toHaveLength(2)
    expect(receiver.received[1]?.body).toBe(request?.body)
    expect(receiver.received[1]?.headers['x-github-delivery']).toBe(delivery.guid)
    const [newest] = github.deliveries(hook)
    expect(newest?.json).toMatchObject({ guid: delivery.guid, redelivery: true, status: 'OK' })
    await receiver.close()
  })

  it('records "failed to connect" when nothing listens at the hook URL', async () => {
    const receiver = await startReceiver(() => 200)
    await receiver.close()
    const hook = { owner: 'o', hookId: 9, url: receiver.url }
    github.addHook(hook)
    const delivery = await github.sendWebhook(hook, {
      event: 'workflow_job',
      payload: { action: 'queued' },
    })
    expect(delivery.status).toBe('failed to connect')
  })
})

describe('startGitHubDouble REST', () => {
  const hook = { owner: 'o', hookId: 3 }

  it('serves deliveries newest first with a Link to the next page', async () => {
    await github.close()
    github = await startGitHubDouble({ maxPageSize: 1 })
    github.addHook(hook)
    github.addDelivery(hook, { id: 1, status: 'OK', deliveredAt: new Date(1000) })
    github.addDelivery(hook, { id: 2, status: 'OK', deliveredAt: new Date(2000) })
    const first = await api('/orgs/o/hooks/3/deliveries?per_page=50')
    expect(first.body).toMatchObject([{ id: 2 }])
    expect(first.link).toBe(
      `<${github.url}/orgs/o/hooks/3/deliveries?per_page=1&cursor=v1_1>; rel="next"`,
    )
    const second = await api('/orgs/o/hooks/3/deliveries?per_page=1&cursor=v1_1')
    expect(second.body).toMatchObject([{ id: 1 }])
    expect(second.link).toBeNull()
  })

  it('answers 401 without a valid token and 404 for an unknown hook', async () => {
    github.addHook(hook)
    const unauthorised = await fetch(`${github.url}/orgs/o/hooks/3/deliveries`)
    expect(unauthorised.status).toBe(401)
    expect((await api('/orgs/o/hooks/4/deliveries')).status).toBe(404)
  })

  it('serves an injected rate limit with its reset header once', async () => {
    github.addHook(hook)
    github.failNext({ kind: 'rate-limit', resetAt: new Date(1_900_000_000_000) })
    const limited = await fetch(`${github.url}/orgs/o/hooks/3/deliveries`, {
      headers: { authorization: 'token test-token' },
    })
    expect(limited.status).toBe(403)
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(limited.headers.get('x-ratelimit-reset')).toBe('1900000000')
    expect((await api('/orgs/o/hooks/3/deliveries')).status).toBe(200)
  })
})

describe('checkAppJwt', () => {
  const key = createTestAppKey()
  const now = 1_800_000_000

  function sign(payload: Record<string, unknown>, privateKey = key.privateKey): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const data = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(payload)}`
    const signature = createSign('RSA-SHA256').update(data).sign(privateKey).toString('base64url')
    return `${data}.${signature}`
  }
  const expected = { publicKey: key.publicKey, clientId: 'Iv1.x', nowSeconds: now }

  it('accepts a JWT as GitHub documents it', () => {
    expect(
      checkAppJwt(sign({ iss: 'Iv1.x', iat: now - 60, exp: now + 540 }), expected),
    ).toBeUndefined()
  })

  it.each([
    [
      'signed by another key',
      sign({ iss: 'Iv1.x', iat: now, exp: now + 60 }, createTestAppKey().privateKey),
      'signature',
    ],
    ['for another App', sign({ iss: 'Iv1.y', iat: now, exp: now + 60 }), 'Issuer'],
    ['expired', sign({ iss: 'Iv1.x', iat: now - 700, exp: now - 100 }), 'Expiration'],
    ['issued in the future', sign({ iss: 'Iv1.x', iat: now + 300, exp: now + 600 }), 'Issued at'],
    [
      'valid for more than ten minutes',
      sign({ iss: 'Iv1.x', iat: now, exp: now + 3600 }),
      'too far',
    ],
    ['garbage', 'a.b', 'could not be decoded'],
  ])('rejects a JWT %s', (_name, jwt, reason) => {
    expect(checkAppJwt(jwt, expected)).toContain(reason)
  })
})

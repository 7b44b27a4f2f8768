import { createHmac, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { checkAppJwt } from './app-jwt.js'
import { createDeliveryStore } from './delivery-store.js'
import type { DoubleDelivery, DoubleHook, NewDelivery } from './delivery-store.js'
import type { DoubleFailure, FailureTarget } from './failures.js'
import { createFailureQueue } from './failures.js'

export type { DoubleDelivery, DoubleHook, NewDelivery } from './delivery-store.js'
export type { DoubleFailure, FailureTarget } from './failures.js'

/** Options of {@link startGitHubDouble}. */
export interface GitHubDoubleOptions {
  /** Personal tokens the double accepts. Default `['test-token']`. */
  readonly tokens?: readonly string[]
  /** A GitHub App whose JWTs the double verifies before issuing installation tokens. */
  readonly app?: { clientId: string; installationId: number; publicKey: string }
  /** The largest page the double serves, whatever `per_page` asks; small values force paging. */
  readonly maxPageSize?: number
  /** Timestamps of webhooks the double sends (`delivered_at`). Default `Date.now`. */
  readonly now?: () => number
}

/** A request the double received, for assertions. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
}

export interface GitHubDouble {
  /** REST root to pass as `baseUrl` / `GITHUB_API_URL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** Registers a webhook; `url` and `secret` make `sendWebhook` and redeliveries real POSTs. */
  addHook(hook: DoubleHook): void
  /** Records a delivery directly (fixtures). `fields` override the generated JSON, e.g. `{ event: null }`. */
  addDelivery(
    hook: DoubleHook,
    delivery: NewDelivery,
    fields?: Record<string, unknown>,
  ): DoubleDelivery
  /** POSTs a webhook to the hook's URL like GitHub does, and records the delivery and its result. */
  sendWebhook(
    hook: DoubleHook,
    webhook: { event: string; payload: unknown },
  ): Promise<DoubleDelivery>
  /** The hook's deliveries, newest first, as the list endpoint serves them. */
  deliveries(hook: DoubleHook): DoubleDelivery[]
  /** Every `POST …/attempts` accepted, in order. */
  readonly attempts: readonly { hook: string; deliveryId: number }[]
  readonly requests: readonly RecordedRequest[]
  /** Makes the next `times` matching requests fail like GitHub does. */
  failNext(failure: DoubleFailure, options?: { times?: number; on?: FailureTarget }): void
  close(): Promise<void>
}

const LIST = /^\/(?:repos\/([^/]+)\/([^/]+)|orgs\/([^/]+))\/hooks\/(\d+)\/deliveries$/
const ATTEMPT =
  /^\/(?:repos\/([^/]+)\/([^/]+)|orgs\/([^/]+))\/hooks\/(\d+)\/deliveries\/(\d+)\/attempts$/
const TOKEN = /^\/app\/installations\/(\d+)\/access_tokens$/

/**
 * Starts a GitHub REST double on 127.0.0.1 (a real `node:http` server, random port) serving the
 * repo and org webhook-deliveries endpoints with `Link` cursor paging, the redelivery attempts
 * endpoint, and the App installation-token exchange with JWT verification. Hooks with a `url`
 * get real webhooks: `sendWebhook` and every accepted redelivery POST the stored payload, with
 * the same `X-GitHub-Delivery` and a valid `X-Hub-Signature-256`, and record the outcome.
 *
 * @example
 * ```ts
 * const github = await startGitHubDouble()
 * const hook = { owner: 'octo-org', repo: 'octo-repo', hookId: 1234 }
 * github.addHook(hook)
 * github.addDelivery(hook, { status: 'failed to connect', deliveredAt: new Date() })
 * // … run the code under test with baseUrl: github.url, token 'test-token'
 * await github.close()
 * ```
 */
export async function startGitHubDouble(options: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  const now = options.now ?? Date.now
  const tokens = new Map<string, number>(
    (options.tokens ?? ['test-token']).map((t) => [t, Infinity]),
  )
  const store = createDeliveryStore(now)
  const failures = createFailureQueue()
  const attempts: { hook: string; deliveryId: number }[] = []
  const requests: RecordedRequest[] = []
  let url = ''

  function authorised(req: IncomingMessage): boolean {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    const expiry = match?.[1] === undefined ? undefined : tokens.get(match[1])
    return expiry !== undefined && expiry > Date.now()
  }

  async function deliver(
    hook: DoubleHook,
    event: string,
    payload: string,
    guid: string,
    redelivery: boolean,
  ) {
    const started = now()
    let status = 'OK'
    let statusCode = 0
    if (hook.url === undefined) {
      status = 'No URL configured'
    } else {
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          body: payload,
          headers: webhookHeaders(hook, event, payload, guid),
          signal: AbortSignal.timeout(10_000),
        })
        await response.arrayBuffer()
        statusCode = response.status
        if (response.status < 200 || response.status > 299)
          status = `Invalid HTTP Response: ${response.status}`
      } catch (error) {
        status =
          error instanceof Error && error.name === 'TimeoutError'
            ? 'timed out'
            : 'failed to connect'
      }
    }
    const parsed = JSON.parse(payload) as { action?: unknown }
    return store.add(hook, {
      guid,
      status,
      statusCode,
      event,
      action: typeof parsed.action === 'string' ? parsed.action : null,
      redelivery,
      deliveredAt: new Date(started),
      payload,
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://double')
    const path = parsed.pathname
    requests.push({
      method: req.method ?? '',
      path,
      query: Object.fromEntries(parsed.searchParams),
    })
    const body = await readBody(req)
    const target: FailureTarget = TOKEN.test(path)
      ? 'token'
      : ATTEMPT.test(path)
        ? 'attempt'
        : 'list'
    const failure = failures.take(target)
    if (failure !== undefined) return send(res, failure.status, failure.body, failure.headers)

    const tokenMatch = req.method === 'POST' ? TOKEN.exec(path) : null
    if (tokenMatch !== null) return exchangeToken(req, res, Number(tokenMatch[1]), body)
    if (!authorised(req)) return send(res, 401, { message: 'Bad credentials' })

    const list = req.method === 'GET' ? LIST.exec(path) : null
    if (list !== null) {
      const hook = store.find(list[1] ?? list[3] ?? '', list[2], Number(list[4]))
      if (hook === undefined) return send(res, 404, { message: 'Not Found' })
      const asked = Number(parsed.searchParams.get('per_page') ?? '30')
      const perPage = Math.min(
        Number.isInteger(asked) && asked > 0 ? asked : 30,
        100,
        options.maxPageSize ?? 100,
      )
      const page = store.page(hook, parsed.searchParams.get('cursor') ?? undefined, perPage)
      const headers: Record<string, string> = {}
      if (page.nextCursor !== undefined) {
        headers['link'] =
          `<${url}${path}?per_page=${perPage}&cursor=${page.nextCursor}>; rel="next"`
      }
      return send(res, 200, page.items, headers)
    }
    const attempt = req.method === 'POST' ? ATTEMPT.exec(path) : null
    if (attempt !== null) {
      const hook = store.find(attempt[1] ?? attempt[3] ?? '', attempt[2], Number(attempt[4]))
      const delivery = hook === undefined ? undefined : store.get(hook, Number(attempt[5]))
      if (hook === undefined || delivery === undefined)
        return send(res, 404, { message: 'Not Found' })
      attempts.push({ hook: store.key(hook), deliveryId: delivery.id })
      if (delivery.payload !== undefined && hook.url !== undefined) {
        await deliver(hook, delivery.event, delivery.payload, delivery.guid, true)
      }
      return send(res, 202, {})
    }
    return send(res, 404, { message: 'Not Found' })
  }

  function exchangeToken(
    req: IncomingMessage,
    res: ServerResponse,
    installationId: number,
    _body: string,
  ) {
    const app = options.app
    const jwt = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    if (app === undefined || jwt === undefined) {
      return send(res, 401, { message: 'A JSON web token could not be decoded' })
    }
    const problem = checkAppJwt(jwt, { ...app, nowSeconds: Math.floor(Date.now() / 1000) })
    if (problem !== undefined) return send(res, 401, { message: problem })
    if (installationId !== app.installationId) return send(res, 404, { message: 'Not Found' })
    const token = `ghs_${randomUUID().replaceAll('-', '')}`
    const expiresAt = Date.now() + 3600_000
    tokens.set(token, expiresAt)
    return send(res, 201, {
      token,
      expires_at: new Date(expiresAt).toISOString(),
      permissions: { organization_hooks: 'write', repository_hooks: 'write' },
      repository_selection: 'all',
    })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { message: error instanceof Error ? error.message : 'double failed' })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    addHook: (hook) => store.addHook(hook),
    addDelivery: (hook, delivery, fields) => store.add(hook, delivery, fields),
    sendWebhook: (hook, webhook) =>
      deliver(
        store.require(hook),
        webhook.event,
        JSON.stringify(webhook.payload),
        randomUUID(),
        false,
      ),
    deliveries: (hook) => store.list(hook),
    attempts,
    requests,
    failNext: (failure, opts) => failures.push(failure, opts?.times ?? 1, opts?.on ?? 'any'),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}

function webhookHeaders(hook: DoubleHook, event: string, payload: string, guid: string) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/double',
    'x-github-event': event,
    'x-github-delivery': guid,
    'x-github-hook-id': String(hook.hookId),
    'x-github-hook-installation-target-type':
      hook.repo === undefined ? 'organization' : 'repository',
  }
  if (hook.secret !== undefined) {
    const hmac = createHmac('sha256', hook.secret).update(payload).digest('hex')
    headers['x-hub-signature-256'] = `sha256=${hmac}`
  }
  return headers
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(body))
}

import type { IncomingMessage, ServerResponse } from 'node:http'
import { readIncomingBody } from './node-body.js'
import type { RouterCore } from './router-core.js'
import { describeError, internalErrorText, safeLog, textContentType } from './webhook-core.js'
import type { WebhookAnswer, WebhookInput } from './webhook-core.js'

/** Handles the request and returns true, or returns false and leaves it untouched. */
export type NodeWebhookHandler = (request: IncomingMessage, response: ServerResponse) => boolean

/**
 * The `POST /webhook` endpoint directly on Node's request and response objects, for hosts that
 * serve the router with `node:http`: it skips the Fetch API objects and routing a framework
 * needs, and gives the answers the Hono app gives (same core, status, body and headers).
 * Returns false for any other method or path; pass those to the Hono app.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { getRequestListener } from '@hono/node-server'
 * const core = createRouterCore({ config, queue, logger, registry })
 * const webhook = createNodeWebhookHandler(core)
 * const others = getRequestListener(createRouter(core).fetch)
 * createServer((req, res) => webhook(req, res) || others(req, res)).listen(8000)
 * ```
 */
export function createNodeWebhookHandler(core: RouterCore): NodeWebhookHandler {
  const { handleWebhook, logger } = core
  return function nodeWebhook(request, response) {
    if (request.method !== 'POST' || !isWebhookPath(request.url)) return false
    const input: WebhookInput = {
      header: (name) => headerOf(request, name),
      readBody: (maxBytes) => readIncomingBody(request, maxBytes),
    }
    handleWebhook(input).then(
      (answer) => send(response, answer),
      (error: unknown) => {
        // A client that hung up mid-body is nobody's fault here and has nobody left to answer.
        if (request.destroyed && !request.complete) {
          safeLog(logger, 'warn', 'client closed the connection before the body ended', {
            path: '/webhook',
            error: describeError(error),
          })
          return
        }
        // As the Hono app's error handler: log it and answer a retryable 503, never a 500.
        safeLog(logger, 'error', 'unexpected router error', {
          method: request.method,
          path: '/webhook',
          error: describeError(error),
        })
        send(response, {
          status: 503,
          body: internalErrorText,
          headers: { 'content-type': textContentType },
        })
      },
    )
    return true
  }
}

// The route Hono's default (strict) router matches: exactly /webhook, any query string.
function isWebhookPath(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith('/webhook')) return false
  return url.length === 8 || url.charCodeAt(8) === 63 /* ? */
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  // Node keeps only the first of repeated Content-Type headers; the Fetch API joins them, and
  // the answer must not depend on which server received the request.
  if (name === 'content-type') return joinedRawHeader(request.rawHeaders, name)
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function joinedRawHeader(raw: readonly string[], name: string): string | undefined {
  let joined: string | undefined
  for (let index = 0; index < raw.length; index += 2) {
    const key = raw[index] as string
    if (key.length !== name.length || key.toLowerCase() !== name) continue
    const value = raw[index + 1] as string
    joined = joined === undefined ? value : `${joined}, ${value}`
  }
  return joined
}

function send(response: ServerResponse, answer: WebhookAnswer): void {
  // The client may have gone; there is nobody left to answer.
  if (response.destroyed || response.headersSent) return
  response.writeHead(answer.status, answer.headers)
  response.end(answer.body)
}

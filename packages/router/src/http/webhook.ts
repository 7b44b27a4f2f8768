import type { Context } from 'hono'
import { readBodyWithin } from './body.js'
import type { WebhookCore } from './webhook-core.js'

export { flavourHeader, outcomeHeader } from './webhook-core.js'

/**
 * The Hono route for `POST /webhook`: a thin adapter that hands the request's headers and body
 * to the framework-free webhook core and turns its answer into a response.
 */
export function createWebhookHandler(handleWebhook: WebhookCore) {
  return async function webhook(c: Context): Promise<Response> {
    const answer = await handleWebhook({
      header: (name) => c.req.header(name),
      readBody: (maxBytes) => readBodyWithin(c.req.raw, maxBytes),
    })
    if (answer.body === '') return c.body(null, answer.status, answer.headers)
    return c.body(answer.body, answer.status, answer.headers)
  }
}

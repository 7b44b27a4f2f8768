import { ServerResponse, type IncomingMessage } from 'node:http'

/**
 * Most request-body bytes read and thrown away so that an early answer reaches its client. Time
 * is bounded too: the server's request timeout cuts a client that sends slowly.
 */
export const EARLY_ANSWER_DRAIN_BYTES = 16 * 1024 * 1024

/**
 * A `ServerResponse` whose `end()` waits until the request body has been received, reading and
 * discarding what the handler left unread (up to {@link EARLY_ANSWER_DRAIN_BYTES}).
 *
 * Why: an answer sent before the body was read (413 on a declared `Content-Length`, 404, a 503)
 * is followed by closing the connection when the client asked for that (`Connection: close`, as
 * Python's urllib does) or when the server is draining. Closing a socket that still has unread
 * bytes makes the kernel send a reset, and a client that writes its whole body before it reads
 * (urllib again) then sees a broken pipe instead of the answer. Reading the rest first means the
 * close is an orderly FIN after the client has finished writing.
 *
 * Pass it as `createServer({ ServerResponse: BodyFirstResponse })`. Requests whose body was read
 * (every accepted webhook) end at once; the check is one property read.
 */
export class BodyFirstResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  // Three plain parameters, not a rest array: this runs for every response.
  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    const request = this.req
    if (request.complete || request.destroyed) return this.endNow(chunk, encoding, callback)
    const finish = () => this.endNow(chunk, encoding, callback)
    let drained = 0
    const done = () => {
      request.off('data', onData)
      request.off('end', done)
      request.off('close', done)
      finish()
    }
    const onData = (chunk: Buffer) => {
      drained += chunk.byteLength
      if (drained <= EARLY_ANSWER_DRAIN_BYTES) return
      // Past the bound the connection cannot be reused; answer and let it close.
      if (!this.headersSent) this.setHeader('connection', 'close')
      done()
    }
    request.on('data', onData)
    request.once('end', done)
    request.once('close', done)
    request.resume()
    return this
  }

  private endNow(chunk: unknown, encoding: unknown, callback: unknown): this {
    // `end` sorts out which of its optional arguments were given; undefined ones are ignored.
    return super.end(chunk, encoding as BufferEncoding, callback as () => void)
  }
}

import type { IncomingMessage } from 'node:http'
import type { BodyRead } from './body.js'

/**
 * Reads a body straight from Node's `IncomingMessage` under the same rules as `readBodyWithin`:
 * a declared `Content-Length` over the limit is refused before reading a byte; otherwise the
 * bytes are counted as they arrive and reading stops at the first byte over the limit, so an
 * oversized chunked upload is never buffered. Rejects if the client goes away mid-body.
 */
export function readIncomingBody(request: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = request.headers['content-length']
  if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    return Promise.resolve({ ok: false, reason: 'too-large' })
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const cleanup = () => {
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
      request.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength
      if (total > maxBytes) {
        cleanup()
        // Node discards the rest once the response is sent; nothing more is kept.
        chunks.length = 0
        resolve({ ok: false, reason: 'too-large' })
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve({ ok: true, bytes: joinChunks(chunks, total) })
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const onClose = () => {
      cleanup()
      reject(new Error('the client closed the connection before the body ended'))
    }
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
    request.on('close', onClose)
  })
}

function joinChunks(chunks: readonly Buffer[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Buffer
  return Buffer.concat(chunks, total)
}

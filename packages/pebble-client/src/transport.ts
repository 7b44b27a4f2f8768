/**
 * The seam between the client and the wire: one HTTP exchange plus, for exec, a websocket.
 * The default speaks HTTP/1.1 over Pebble's unix socket with `node:http` (contract §1.2);
 * tests or proxies can pass their own.
 */
import { request as httpRequest } from 'node:http'
import WebSocket from 'ws'
import { ConnectionError } from './errors.js'

/** One HTTP request as the client issues it. */
export interface TransportRequest {
  method: 'GET' | 'POST'
  /** Path with query string, e.g. `/v1/services?names=router`. */
  path: string
  headers: Record<string, string>
  body?: string | Uint8Array
  /** Give up after this long without an answer. */
  timeoutMs: number
}

/** One HTTP response, body fully read. */
export interface TransportResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** How the client reaches Pebble. Implement it to proxy, record or fake the wire. */
export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>
  /** Opens a websocket on `path` (exec's `/v1/tasks/<id>/websocket/<name>`, §9.2). */
  openWebSocket(path: string): Promise<WebSocket>
}

/**
 * The default transport: HTTP and websockets over a unix socket.
 *
 * @example
 * const transport = unixSocketTransport('/charm/containers/workload/pebble.socket')
 */
export function unixSocketTransport(socketPath: string): Transport {
  return {
    request: (request) => sendOverSocket(socketPath, request),
    openWebSocket: (path) => openSocketWebSocket(socketPath, path),
  }
}

function sendOverSocket(socketPath: string, request: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { socketPath, method: request.method, path: request.path, headers: request.headers },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', (error) => reject(connectionError(socketPath, error)))
        response.on('end', () =>
          resolve({
            statusCode: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        )
      },
    )
    outgoing.setTimeout(request.timeoutMs, () =>
      outgoing.destroy(
        Object.assign(new Error(`no answer within ${request.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
      ),
    )
    outgoing.on('error', (error) => reject(connectionError(socketPath, error)))
    outgoing.end(request.body)
  })
}

function openSocketWebSocket(socketPath: string, path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws+unix://${socketPath}:${path}`)
    const onError = (error: Error) => reject(connectionError(socketPath, error))
    socket.once('error', onError)
    socket.once('unexpected-response', (_request, response) => {
      socket.off('error', onError)
      reject(
        new ConnectionError(
          `cannot open websocket ${path}: HTTP ${response.statusCode ?? 0}`,
          socketPath,
          'EBADWS',
        ),
      )
    })
    socket.once('open', () => {
      socket.off('error', onError)
      resolve(socket)
    })
  })
}

function connectionError(socketPath: string, error: Error): ConnectionError {
  const code = (error as NodeJS.ErrnoException).code
  const message =
    code === 'ENOENT'
      ? `Could not connect to Pebble: socket not found at '${socketPath}' (container restarted?)`
      : `Could not connect to Pebble at '${socketPath}': ${error.message}`
  return new ConnectionError(message, socketPath, code, { cause: error })
}

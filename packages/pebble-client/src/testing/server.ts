/**
 * HTTP plumbing of the double: the router over the unix socket, request bodies, the websocket
 * upgrade route, and the router-level 404/405 errors (contract §1.2–§1.4).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Daemon } from './daemon.js'
import { asyncReply, errorReply, type Reply } from './envelope.js'
import type { FilesApi } from './files.js'
import { HttpError } from './http-error.js'

type Handler = (context: {
  query: URLSearchParams
  body: () => Promise<Buffer>
  request: IncomingMessage
  params: string[]
}) => Reply | Promise<Reply>

interface Route {
  pattern: RegExp
  methods: Partial<Record<string, Handler>>
}

const NOT_IMPLEMENTED: Handler = () => errorReply(501, 'not implemented by the Pebble double')

/** Builds the routing table for one daemon. */
function routes(daemon: Daemon, files: FilesApi): Route[] {
  // Pebble's services and checks handlers word a bad body "cannot decode data from request body".
  const json = async (body: () => Promise<Buffer>, what = 'request body'): Promise<unknown> => {
    const text = (await body()).toString('utf8')
    try {
      return JSON.parse(text)
    } catch (error) {
      throw new HttpError(400, `cannot decode ${what}: ${(error as Error).message}`)
    }
  }
  const DATA = 'data from request body'
  const p = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '([^/]+)')}$`)
  return [
    { pattern: p('/v1/system-info'), methods: { GET: () => daemon.systemInfo() } },
    { pattern: p('/v1/health'), methods: { GET: ({ query }) => daemon.health(query) } },
    { pattern: p('/v1/changes'), methods: { GET: ({ query }) => daemon.getChanges(query) } },
    {
      pattern: p('/v1/changes/{id}'),
      methods: {
        GET: ({ params }) => daemon.getChange(params[0] ?? ''),
        // An unknown change is a 404 before the body is read.
        POST: async ({ params, body }) =>
          daemon.changes.get(params[0] ?? '')
            ? daemon.abortChange(params[0] ?? '', await json(body))
            : daemon.getChange(params[0] ?? ''),
      },
    },
    {
      pattern: p('/v1/changes/{id}/wait'),
      methods: { GET: ({ params, query }) => daemon.waitChange(params[0] ?? '', query) },
    },
    {
      pattern: p('/v1/services'),
      methods: {
        GET: ({ query }) => daemon.getServices(query),
        POST: async ({ body }) => daemon.serviceAction(await json(body, DATA)),
      },
    },
    {
      pattern: p('/v1/services/{name}'),
      methods: { GET: () => errorReply(400, 'not implemented') },
    },
    { pattern: p('/v1/plan'), methods: { GET: ({ query }) => daemon.getPlan(query) } },
    {
      pattern: p('/v1/layers'),
      methods: { POST: async ({ body }) => daemon.addLayer(await json(body)) },
    },
    {
      pattern: p('/v1/files'),
      methods: {
        GET: ({ query, request }) => files.get(query, request.headers.accept),
        POST: async ({ request, body }) =>
          files.post(request.headers['content-type'], await body()),
      },
    },
    {
      pattern: p('/v1/exec'),
      methods: {
        POST: async ({ body }) => {
          const { change, result } = daemon.exec.create(await json(body))
          return asyncReply(change.id, result)
        },
      },
    },
    {
      pattern: p('/v1/signals'),
      methods: { POST: async ({ body }) => daemon.signal(await json(body)) },
    },
    {
      pattern: p('/v1/checks'),
      methods: {
        GET: ({ query }) => daemon.getChecks(query),
        POST: async ({ body }) => daemon.checkAction(await json(body, DATA)),
      },
    },
    {
      pattern: p('/v1/tasks/{task}/websocket/{id}'),
      methods: { GET: () => errorReply(400, 'websocket upgrade required') },
    },
    {
      pattern: p('/v1/checks/refresh'),
      methods: { POST: async ({ body }) => daemon.refreshCheck(await json(body, DATA)) },
    },
    ...[
      '/v1/logs',
      '/v1/notices',
      '/v1/notices/{id}',
      '/v1/identities',
      '/v1/pairing',
      '/v1/metrics',
    ].map((path) => ({
      pattern: p(path),
      methods: { GET: NOT_IMPLEMENTED, POST: NOT_IMPLEMENTED },
    })),
  ]
}

/** Creates the HTTP server of a daemon (not yet listening). */
export function createDoubleServer(daemon: Daemon, files: FilesApi): Server {
  const table = routes(daemon, files)
  const server = createServer((request, response) => {
    void handle(table, request, response)
  })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const match = /^\/v1\/tasks\/([^/]+)\/websocket\/([^/]+)$/.exec(pathOf(request))
    try {
      if (!match) throw new HttpError(404, 'invalid API endpoint requested')
      daemon.exec.upgrade(
        safeDecode(match[1] ?? ''),
        safeDecode(match[2] ?? ''),
        request,
        socket,
        head,
      )
    } catch (error) {
      const reply =
        error instanceof HttpError
          ? errorReply(error.statusCode, error.message, error.kind)
          : errorReply(500, String(error))
      socket.end(
        `HTTP/1.1 ${reply.statusCode} ${reply.statusCode === 404 ? 'Not Found' : 'Error'}\r\n` +
          `Content-Type: ${reply.contentType}\r\nContent-Length: ${reply.body.length}\r\nConnection: close\r\n\r\n${reply.body.toString('utf8')}`,
      )
    }
  })
  return server
}

async function handle(
  table: Route[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  let reply: Reply
  try {
    reply = await dispatch(table, request)
  } catch (error) {
    reply =
      error instanceof HttpError
        ? errorReply(error.statusCode, error.message, error.kind)
        : errorReply(500, `internal error: ${(error as Error).message}`)
  }
  response.writeHead(reply.statusCode, {
    'Content-Type': reply.contentType,
    'Content-Length': reply.body.length,
  })
  response.end(reply.body)
}

function dispatch(table: Route[], request: IncomingMessage): Reply | Promise<Reply> {
  const path = pathOf(request)
  const url = new URL(request.url ?? '/', 'http://localhost')
  for (const route of table) {
    const match = route.pattern.exec(path)
    if (!match) continue
    const handler = route.methods[request.method ?? '']
    if (!handler) return errorReply(405, `method "${request.method}" not allowed`)
    let bodyPromise: Promise<Buffer> | undefined
    const body = () => (bodyPromise ??= readBody(request))
    return handler({
      query: url.searchParams,
      body,
      request,
      params: match.slice(1).map(safeDecode),
    })
  }
  return errorReply(404, 'invalid API endpoint requested')
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function pathOf(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://localhost').pathname
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/** The raw request body, or the reason it was not read. */
export type BodyRead =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: 'too-large' }

/**
 * Reads a request body of at most `maxBytes`. A `Content-Length` over the limit is refused
 * before reading anything; without one (chunked uploads) the bytes are counted as they arrive
 * and reading stops at the first byte over the limit, so an oversized body is never buffered.
 * A declared length within the limit is read in one go: the HTTP server enforces it (Node's
 * parser never delivers more), which spares a web stream per request.
 *
 * @example
 * ```ts
 * const body = await readBodyWithin(c.req.raw, config.maxBodyBytes)
 * if (!body.ok) return c.text('Request body is too large.', 413)
 * ```
 */
export async function readBodyWithin(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    if (Number(declared) > maxBytes) return { ok: false, reason: 'too-large' }
    return readDeclaredBody(request, maxBytes)
  }
  return readCountedBody(request, maxBytes)
}

// Node's HTTP parser never delivers more than a declared Content-Length, so a body within the
// limit can be read whole. With @hono/node-server, arrayBuffer() reads the IncomingMessage
// directly; touching request.body would build an undici Request and a web stream per webhook.
async function readDeclaredBody(request: Request, maxBytes: number): Promise<BodyRead> {
  const bytes = new Uint8Array(await request.arrayBuffer())
  // Only a hand-built Request can carry a Content-Length its body does not match.
  if (bytes.byteLength > maxBytes) return { ok: false, reason: 'too-large' }
  return { ok: true, bytes }
}

// Chunked uploads: count as the bytes arrive and stop at the first byte over the limit.
async function readCountedBody(request: Request, maxBytes: number): Promise<BodyRead> {
  if (request.body === null) return { ok: true, bytes: new Uint8Array(0) }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      return { ok: false, reason: 'too-large' }
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0] as Uint8Array }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return { ok: true, bytes }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A JSON body, or a one-line reason it is not one. */
export type JsonRead =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string }

/** Decodes strict UTF-8 (a leading BOM is dropped) and parses JSON, never throwing. */
export function parseJsonBody(bytes: Uint8Array): JsonRead {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { ok: false, reason: 'Request body is not valid UTF-8.' }
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, reason: 'Malformed JSON in request body.' }
  }
}

/** True for `application/json` and `application/<anything>+json`, as Flask's `is_json`. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false
  const mime = (header.split(';')[0] ?? '').trim().toLowerCase()
  return mime === 'application/json' || /^application\/[^/\s]+\+json$/.test(mime)
}

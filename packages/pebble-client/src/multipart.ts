/**
 * Just enough `multipart/form-data` for Pebble's files API (contract §8): build a request with
 * a `request` JSON part and file parts, and split a response into its parts.
 */
import { randomBytes } from 'node:crypto'

/** One part of a multipart body. */
export interface MultipartPart {
  name: string
  filename?: string
  contentType?: string
  body: Buffer
}

/** A fresh boundary of 32 hex characters, the length `ops` uses and Pebble's minimum. */
export function newBoundary(): string {
  return randomBytes(16).toString('hex')
}

/** Encodes parts as a `multipart/form-data` body with the given boundary. */
export function encodeMultipart(boundary: string, parts: readonly MultipartPart[]): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = part.filename
      ? `form-data; name="${part.name}"; filename="${escapeQuoted(part.filename)}"`
      : `form-data; name="${part.name}"`
    const head =
      `--${boundary}\r\nContent-Disposition: ${disposition}\r\n` +
      `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`
    chunks.push(Buffer.from(head), part.body, Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}

/** Reads the boundary out of a `Content-Type` header, or `undefined` if it has none. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(
    contentType ?? '',
  )
  return match?.[1] ?? match?.[2]
}

/**
 * Splits a multipart body into parts.
 *
 * @throws {Error} when the body is not well-formed.
 */
export function decodeMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: MultipartPart[] = []
  let start = body.indexOf(delimiter)
  if (start === -1) throw new Error('multipart body has no boundary')
  for (;;) {
    const afterDelimiter = start + delimiter.length
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts
    const headerStart = afterDelimiter + 2
    const headerEnd = body.indexOf('\r\n\r\n', headerStart)
    if (headerEnd === -1) throw new Error('multipart part has no header end')
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4)
    if (next === -1) throw new Error('multipart body is not terminated')
    const headers = body.subarray(headerStart, headerEnd).toString('utf8')
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? ''
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1]
    if (name === undefined) throw new Error('multipart part has no name')
    const filename = /\bfilename="((?:[^"\\]|\\.)*)"/i.exec(disposition)?.[1]
    const contentType = /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]
    parts.push({
      name,
      ...(filename === undefined ? {} : { filename: filename.replace(/\\(.)/g, '$1') }),
      ...(contentType === undefined ? {} : { contentType }),
      body: body.subarray(headerEnd + 4, next),
    })
    start = next + 2
  }
}

function escapeQuoted(text: string): string {
  return text.replace(/["\\]/g, (char) => `\\${char}`)
}

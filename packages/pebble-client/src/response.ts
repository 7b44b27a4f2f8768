/**
 * Decoding Pebble's answers at the boundary: the envelope (contract §1.3), error envelopes as
 * {@link APIError}, and `result` payloads checked with valibot.
 */
import * as v from 'valibot'
import { APIError, ProtocolError } from './errors.js'
import type { TransportResponse } from './transport.js'
import { EnvelopeSchema, ErrorResultSchema } from './wire.js'

/** The decoded envelope of a successful answer (§1.3). */
export interface PebbleResponse {
  type: 'sync' | 'async' | 'error'
  statusCode: number
  change?: string
  result: unknown
}

/** Query parameters; a list is sent as repeated keys. */
export type Query = Record<string, string | readonly string[] | undefined>

/** Decodes a JSON envelope, turning error answers into {@link APIError}. */
export function decodeEnvelope(
  response: TransportResponse,
  allowStatus: readonly number[] = [],
): PebbleResponse {
  const contentType = String(response.headers['content-type'] ?? '')
  let json: unknown
  try {
    if (!contentType.startsWith('application/json'))
      throw new Error(`content type ${contentType || 'none'}`)
    json = JSON.parse(response.body.toString('utf8'))
  } catch (error) {
    const reason = (error as Error).message
    throw new ProtocolError(`HTTP ${response.statusCode}: expected a JSON envelope (${reason})`)
  }
  const envelope = v.safeParse(EnvelopeSchema, json)
  if (!envelope.success)
    throw new ProtocolError(`invalid response envelope: ${v.summarize(envelope.issues)}`)
  const { output } = envelope
  const ok = response.statusCode >= 200 && response.statusCode < 300
  if (output.type === 'error' || (!ok && !allowStatus.includes(response.statusCode))) {
    const result = v.safeParse(ErrorResultSchema, output.result)
    const message = result.success ? result.output.message : `HTTP ${response.statusCode}`
    throw new APIError(
      response.statusCode,
      output.status,
      message,
      result.success ? result.output.kind : undefined,
      json,
    )
  }
  return {
    type: output.type,
    statusCode: output['status-code'],
    ...(output.change === undefined ? {} : { change: output.change }),
    result: output.result ?? null,
  }
}

/** Validates a `result` at the boundary; a mismatch is a {@link ProtocolError}. */
export function parse<TSchema extends v.GenericSchema>(
  schema: TSchema,
  value: unknown,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, value)
  if (!result.success)
    throw new ProtocolError(`unexpected result from Pebble: ${v.summarize(result.issues)}`)
  return result.output
}

export function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === '') continue
    for (const item of typeof value === 'string' ? [value] : value) params.append(key, item)
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

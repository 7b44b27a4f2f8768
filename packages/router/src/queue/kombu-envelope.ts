/**
 * The kombu message envelope, written byte-for-byte the way kombu 5.x writes it for
 * `SimpleQueue(flavour).put(jobJson)`, so a stored message cannot be told apart from one a Python
 * producer wrote (see docs/queue-backends.md).
 *
 * @module
 */
import * as v from 'valibot'
import type { QueuedJob } from './port.js'

/** The body that makes the github-runner consumer stop its loop; we must never publish it. */
export const KOMBU_END_OF_PROCESSING_BODY = '__END__'

/**
 * The job JSON the consumer parses: compact, keys in the order `labels`, `status`, `url`, as
 * pydantic's `model_dump_json()` writes it upstream.
 *
 * @example
 * serialiseJob({ labels: ['large', 'x64'], status: 'queued', url: 'https://api.github.com/repos/o/r/actions/jobs/1' })
 * // '{"labels":["large","x64"],"status":"queued","url":"https://api.github.com/repos/o/r/actions/jobs/1"}'
 */
export function serialiseJob(job: QueuedJob): string {
  return JSON.stringify({ labels: [...job.labels], status: job.status, url: job.url })
}

/**
 * The kombu envelope for one message: `body` is the base64 of the UTF-8 job JSON, sent as
 * `text/plain` so the consumer's `message.payload` is the job JSON text itself (not
 * double-encoded). The result is the exact text kombu stores: Python `json.dumps` separators
 * (`", "`, `": "`), non-ASCII escaped, keys in kombu's order.
 *
 * @param flavour - the queue name; also the exchange and routing key, as `SimpleQueue` declares.
 * @param jobJson - the job JSON text (see {@link serialiseJob}).
 * @param deliveryTag - a fresh uuid4 string per message; kombu consumers require it.
 * @throws Error if `jobJson` is the consumer's end-of-processing control body, or an argument is empty.
 *
 * @example
 * buildKombuPayload('large', serialiseJob(job), crypto.randomUUID())
 */
export function buildKombuPayload(flavour: string, jobJson: string, deliveryTag: string): string {
  if (jobJson === KOMBU_END_OF_PROCESSING_BODY) {
    throw new Error(
      `refusing to publish the consumer's control body ${KOMBU_END_OF_PROCESSING_BODY}`,
    )
  }
  if (flavour === '' || deliveryTag === '') {
    throw new Error('a kombu message needs a non-empty flavour and delivery tag')
  }
  const body = Buffer.from(jobJson, 'utf8').toString('base64')
  const envelope = {
    body,
    'content-encoding': 'utf-8',
    'content-type': 'text/plain',
    headers: {},
    properties: {
      delivery_mode: 2,
      delivery_info: { exchange: flavour, routing_key: flavour },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: deliveryTag,
    },
  }
  return pythonJsonDumps(envelope)
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** `json.dumps(value)` with Python's defaults (`ensure_ascii=True`, separators `", "`/`": "`). */
function pythonJsonDumps(value: JsonValue): string {
  if (typeof value === 'string') return pythonJsonString(value)
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`
  const members = Object.entries(value).map(
    ([key, item]) => `${pythonJsonString(key)}: ${pythonJsonDumps(item)}`,
  )
  return `{${members.join(', ')}}`
}

function pythonJsonString(text: string): string {
  // JSON.stringify already escapes quotes, backslashes and control characters as Python does;
  // Python additionally escapes DEL and every UTF-16 code unit above it (surrogate pairs included).
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

const envelopeSchema = v.looseObject({
  body: v.string(),
  'content-type': v.optional(v.string()),
  'content-encoding': v.optional(v.string()),
  properties: v.optional(v.looseObject({ body_encoding: v.optional(v.string()) })),
})

/**
 * The text a kombu consumer's `message.payload` would hold for a stored envelope, for display
 * (`queue peek`). Accepts envelopes written by kombu itself, including requeued ones. Returns
 * `undefined` when the stored text is not a kombu envelope this decoder understands.
 */
export function decodeKombuPayload(payload: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    return undefined
  }
  const result = v.safeParse(envelopeSchema, parsed)
  if (!result.success) return undefined
  const envelope = result.output
  const encoding = envelope.properties?.body_encoding
  if (encoding !== undefined && encoding !== 'base64') return undefined
  const text =
    encoding === 'base64' ? Buffer.from(envelope.body, 'base64').toString('utf8') : envelope.body
  if (envelope['content-type'] !== 'application/json') return text
  try {
    const decoded: unknown = JSON.parse(text)
    return typeof decoded === 'string' ? decoded : text
  } catch {
    return undefined
  }
}

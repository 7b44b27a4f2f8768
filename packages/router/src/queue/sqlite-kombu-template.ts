/**
 * Fast kombu envelopes for the SQLite adapter's hot path.
 *
 * Per flavour, the envelope text differs between messages only in the base64 body and the
 * delivery tag, so it is built once with `buildKombuPayload` around two markers and then
 * spliced per message. Whatever cannot be spliced safely (a tag that JSON would escape, a
 * flavour that happens to contain a marker) goes through `buildKombuPayload` itself, so the
 * output is always byte-for-byte what `buildKombuPayload` returns.
 *
 * @module
 */
import { buildKombuPayload } from './kombu-envelope.js'

// Its base64 is plain ASCII that no JSON escaping touches, and a job JSON never looks like it.
const BODY_MARKER_TEXT = 'webhook-router body marker'
const BODY_MARKER = Buffer.from(BODY_MARKER_TEXT, 'utf8').toString('base64')
const TAG_MARKER = 'webhook-router-delivery-tag-marker'
// Printable ASCII without quote or backslash: written unchanged by Python's json.dumps.
const PLAIN_TAG = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/

interface Template {
  readonly head: string
  readonly middle: string
  readonly tail: string
}

/** Builds kombu payloads equal to `buildKombuPayload`, caching one template per flavour. */
export type KombuPayloadBuilder = (flavour: string, jobJson: string, deliveryTag: string) => string

/**
 * Creates a {@link KombuPayloadBuilder}.
 *
 * @example
 * const build = createKombuPayloadBuilder()
 * build('large', serialiseJob(job), randomUUID()) === buildKombuPayload('large', serialiseJob(job), tag)
 */
export function createKombuPayloadBuilder(): KombuPayloadBuilder {
  const templates = new Map<string, Template | null>()

  function templateFor(flavour: string): Template | null {
    let template = templates.get(flavour)
    if (template === undefined) {
      template = splitTemplate(buildKombuPayload(flavour, BODY_MARKER_TEXT, TAG_MARKER))
      // Flavours come from the configuration, so this map stays as small as the flavour list.
      templates.set(flavour, template)
    }
    return template
  }

  return (flavour, jobJson, deliveryTag) => {
    const template = flavour === '' ? null : templateFor(flavour)
    if (template === null || !PLAIN_TAG.test(deliveryTag) || jobJson === '__END__') {
      return buildKombuPayload(flavour, jobJson, deliveryTag)
    }
    const body = Buffer.from(jobJson, 'utf8').toString('base64')
    return template.head + body + template.middle + deliveryTag + template.tail
  }
}

function splitTemplate(envelope: string): Template | null {
  const body = envelope.indexOf(BODY_MARKER)
  const tag = envelope.indexOf(TAG_MARKER)
  const once =
    body !== -1 &&
    tag > body &&
    envelope.indexOf(BODY_MARKER, body + 1) === -1 &&
    envelope.indexOf(TAG_MARKER, tag + 1) === -1
  if (!once) return null
  return {
    head: envelope.slice(0, body),
    middle: envelope.slice(body + BODY_MARKER.length, tag),
    tail: envelope.slice(tag + TAG_MARKER.length),
  }
}

import * as v from 'valibot'

import { RedeliveryError } from './errors.js'

/** The fields of a GitHub `hook-delivery-item` the scan reads. */
export interface DeliveryItem {
  readonly id: number
  /** `X-GitHub-Delivery`; shared by a delivery and all its redeliveries. */
  readonly guid: string | undefined
  readonly deliveredAt: Date
  /** `OK` when the receiver answered 2xx; a reason such as `failed to connect` otherwise. */
  readonly status: string
  readonly statusCode: number | undefined
  readonly event: string
  readonly action: string | undefined
  readonly redelivery: boolean
}

const REQUIRED_FIELDS = ['id', 'status', 'delivered_at', 'event'] as const

const DeliveryItemSchema = v.looseObject({
  id: v.pipe(v.number(), v.integer()),
  guid: v.nullish(v.string()),
  delivered_at: v.pipe(
    v.string(),
    v.check((text) => !Number.isNaN(Date.parse(text)), 'not a timestamp'),
  ),
  status: v.string(),
  status_code: v.nullish(v.number()),
  event: v.string(),
  action: v.nullish(v.string()),
  redelivery: v.nullish(v.boolean()),
})

const PageSchema = v.array(v.unknown())

/**
 * Validates one item of `GET …/hooks/{id}/deliveries`. A missing (or null) `id`, `status`,
 * `delivered_at` or `event` is an error naming every missing field, as in the reference.
 */
export function parseDeliveryItem(raw: unknown): DeliveryItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RedeliveryError(
      'invalid-delivery',
      'GitHub returned a delivery that is not an object',
    )
  }
  const record = raw as Record<string, unknown>
  const missing = REQUIRED_FIELDS.filter(
    (field) => record[field] === undefined || record[field] === null,
  )
  const label = typeof record['id'] === 'number' ? `Delivery ${record['id']}` : 'A delivery'
  if (missing.length > 0) {
    throw new RedeliveryError(
      'invalid-delivery',
      `${label} is missing required fields: ${missing.join(', ')}`,
    )
  }
  const parsed = v.safeParse(DeliveryItemSchema, raw)
  if (!parsed.success) {
    const fields = parsed.issues.map((issue) => v.getDotPath(issue) ?? '(item)')
    throw new RedeliveryError(
      'invalid-delivery',
      `${label} has invalid fields: ${[...new Set(fields)].join(', ')}`,
    )
  }
  const item = parsed.output
  return {
    id: item.id,
    guid: item.guid ?? undefined,
    deliveredAt: new Date(item.delivered_at),
    status: item.status,
    statusCode: item.status_code ?? undefined,
    event: item.event,
    action: item.action ?? undefined,
    redelivery: item.redelivery ?? false,
  }
}

/** Validates a list page body: it must be a JSON array. */
export function parseDeliveryPage(raw: unknown): unknown[] {
  const parsed = v.safeParse(PageSchema, raw)
  if (!parsed.success) {
    throw new RedeliveryError(
      'invalid-delivery',
      'GitHub returned a deliveries page that is not a list',
    )
  }
  return parsed.output
}

/** The `rel="next"` target of a `Link` header (RFC 8288), as GitHub's cursor pagination uses. */
export function nextPageUrl(link: string | undefined): string | undefined {
  if (link === undefined) return undefined
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part)
    if (match !== null && /(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/.test(match[2] ?? '')) {
      return match[1]
    }
  }
  return undefined
}

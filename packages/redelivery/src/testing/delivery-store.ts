import { randomUUID } from 'node:crypto'

/** A webhook registered on the double. */
export interface DoubleHook {
  readonly owner: string
  /** Absent for an organisation hook. */
  readonly repo?: string | undefined
  readonly hookId: number
  /** Where `sendWebhook` and redeliveries POST. */
  readonly url?: string | undefined
  /** Signs the webhooks the double sends. */
  readonly secret?: string | undefined
}

/** A fixture delivery; unset fields get GitHub-like defaults (a `workflow_job`/`queued` event). */
export interface NewDelivery {
  readonly id?: number
  readonly guid?: string
  readonly status: string
  readonly statusCode?: number
  readonly deliveredAt: Date
  readonly event?: string
  readonly action?: string | null
  readonly redelivery?: boolean
  /** The raw JSON body; redelivering a delivery that has one re-sends it to the hook URL. */
  readonly payload?: string
}

/** A stored delivery: the `hook-delivery-item` JSON the list serves, plus what it was. */
export interface DoubleDelivery {
  readonly id: number
  readonly guid: string
  readonly deliveredAt: Date
  readonly status: string
  readonly event: string
  readonly redelivery: boolean
  readonly payload: string | undefined
  /** Exactly what the list endpoint returns for it. */
  readonly json: Record<string, unknown>
  /** Insertion order; breaks ties between equal timestamps, newest first. */
  readonly sequence: number
}

interface StoredHook {
  hook: DoubleHook
  deliveries: DoubleDelivery[]
}

/** The double's in-memory state: hooks and their deliveries, kept newest first. */
export function createDeliveryStore(now: () => number) {
  const hooks = new Map<string, StoredHook>()
  let nextId = 1_000_000
  let sequence = 0

  const key = (hook: Pick<DoubleHook, 'owner' | 'repo' | 'hookId'>): string =>
    hook.repo === undefined
      ? `orgs/${hook.owner}/hooks/${hook.hookId}`
      : `repos/${hook.owner}/${hook.repo}/hooks/${hook.hookId}`

  function stored(hook: Pick<DoubleHook, 'owner' | 'repo' | 'hookId'>): StoredHook {
    const found = hooks.get(key(hook))
    if (found === undefined)
      throw new Error(`GitHub double: unknown hook ${key(hook)}; call addHook first`)
    return found
  }

  function add(
    hook: DoubleHook,
    delivery: NewDelivery,
    fields: Record<string, unknown> = {},
  ): DoubleDelivery {
    const entry = stored(hook)
    const id = delivery.id ?? nextId++
    const guid = delivery.guid ?? randomUUID()
    const event = delivery.event ?? 'workflow_job'
    const json: Record<string, unknown> = {
      id,
      guid,
      delivered_at: delivery.deliveredAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      redelivery: delivery.redelivery ?? false,
      duration: 0.05,
      status: delivery.status,
      status_code: delivery.statusCode ?? (delivery.status === 'OK' ? 200 : 502),
      event,
      action: delivery.action === undefined ? 'queued' : delivery.action,
      installation_id: null,
      repository_id: entry.hook.repo === undefined ? null : 1296269,
      throttled_at: null,
      ...fields,
    }
    for (const [name, value] of Object.entries(fields)) if (value === undefined) delete json[name]
    const record: DoubleDelivery = {
      id,
      guid,
      deliveredAt: delivery.deliveredAt,
      status: delivery.status,
      event,
      redelivery: delivery.redelivery ?? false,
      payload: delivery.payload,
      json,
      sequence: sequence++,
    }
    entry.deliveries.push(record)
    entry.deliveries.sort(
      (a, b) => b.deliveredAt.getTime() - a.deliveredAt.getTime() || b.sequence - a.sequence,
    )
    return record
  }

  return {
    key,
    addHook(hook: DoubleHook): void {
      hooks.set(key(hook), { hook, deliveries: [] })
    },
    require: (hook: DoubleHook): DoubleHook => stored(hook).hook,
    find(owner: string, repo: string | undefined, hookId: number): DoubleHook | undefined {
      return hooks.get(
        key({ owner: decodeURIComponent(owner), repo: repo && decodeURIComponent(repo), hookId }),
      )?.hook
    },
    add,
    get: (hook: DoubleHook, id: number) => stored(hook).deliveries.find((d) => d.id === id),
    list: (hook: DoubleHook): DoubleDelivery[] => [...stored(hook).deliveries],
    /** The page starting at `cursor` (an opaque `v1_<id>` of its first item). */
    page(hook: DoubleHook, cursor: string | undefined, perPage: number) {
      const all = stored(hook).deliveries
      let start = 0
      if (cursor !== undefined) {
        const id = Number(cursor.replace(/^v1_/, ''))
        start = all.findIndex((d) => d.id === id)
        if (start < 0) return { items: [], nextCursor: undefined }
      }
      const items = all.slice(start, start + perPage).map((d) => d.json)
      const next = all[start + perPage]
      return { items, nextCursor: next === undefined ? undefined : `v1_${next.id}` }
    },
    now,
  }
}

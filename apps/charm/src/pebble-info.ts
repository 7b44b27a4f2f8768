import type { CheckInfo, ServiceInfo } from '@webhook-router/charm-machine/juju'

type Raw = Record<string, unknown>
const record = (value: unknown): Raw =>
  typeof value === 'object' && value !== null ? (value as Raw) : {}

/**
 * One entry of Pebble's `GET /v1/services` as the charm reads it: a state Pebble may add later
 * reads as `inactive`, anything but `enabled` as `disabled`.
 */
export function serviceInfoOf(value: unknown): ServiceInfo {
  const { name, startup, current } = record(value)
  return {
    name: String(name),
    startup: startup === 'enabled' ? 'enabled' : 'disabled',
    current:
      current === 'active' || current === 'backoff' || current === 'error' ? current : 'inactive',
  }
}

/** One entry of Pebble's `GET /v1/checks`: only `up` and `down` are health; the rest inactive. */
export function checkInfoOf(value: unknown): CheckInfo {
  const { name, status, failures, threshold } = record(value)
  return {
    name: String(name),
    status: status === 'up' ? 'up' : status === 'down' ? 'down' : 'inactive',
    failures: typeof failures === 'number' ? failures : 0,
    threshold: typeof threshold === 'number' ? threshold : 0,
  }
}

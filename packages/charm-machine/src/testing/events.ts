import type { Relation, Secret } from './state.js'

/** An event for the harness to dispatch, as Juju would set it in the environment. */
export type HarnessEvent =
  | {
      kind: 'hook'
      name: string
      relationId?: number
      remoteUnit?: string
      departingUnit?: string
      container?: string
      secretId?: string
      secretLabel?: string
      secretRevision?: number
    }
  | { kind: 'action'; name: string; params: Record<string, unknown>; id: string }

const hook = (
  name: string,
  extra: Omit<Extract<HarnessEvent, { kind: 'hook' }>, 'kind' | 'name'> = {},
): HarnessEvent => ({
  kind: 'hook',
  name,
  ...extra,
})
const onRelation =
  (suffix: string) =>
  (relation: Relation, options: { remoteUnit?: string; departingUnit?: string } = {}) =>
    hook(`${relation.endpoint}-relation-${suffix}`, { relationId: relation.id, ...options })
const onSecret =
  (name: string) =>
  (secret: Secret, options: { revision?: number } = {}) =>
    hook(name, {
      secretId: secret.id,
      ...(secret.label === undefined ? {} : { secretLabel: secret.label }),
      ...(options.revision === undefined ? {} : { secretRevision: options.revision }),
    })

let actionCounter = 0

/**
 * Builders for every event a charm receives (Scenario's `ctx.on`).
 *
 * @example
 * ```ts
 * await ctx.run(on.relationChanged(mongodb), state)
 * await ctx.run(on.action('rotate-secret-key'), state)
 * ```
 */
export const on = {
  install: () => hook('install'),
  start: () => hook('start'),
  stop: () => hook('stop'),
  remove: () => hook('remove'),
  leaderElected: () => hook('leader-elected'),
  upgradeCharm: () => hook('upgrade-charm'),
  configChanged: () => hook('config-changed'),
  updateStatus: () => hook('update-status'),
  pebbleReady: (container: string) => hook(`${container}-pebble-ready`, { container }),
  relationCreated: onRelation('created'),
  relationJoined: onRelation('joined'),
  relationChanged: onRelation('changed'),
  relationDeparted: onRelation('departed'),
  relationBroken: onRelation('broken'),
  secretChanged: onSecret('secret-changed'),
  secretRotate: onSecret('secret-rotate'),
  secretRemove: onSecret('secret-remove'),
  secretExpired: onSecret('secret-expired'),
  /** Any other hook by name, e.g. `data-storage-attached`. */
  hook: (name: string) => hook(name),
  action: (name: string, params: Record<string, unknown> = {}, id?: string): HarnessEvent => ({
    kind: 'action',
    name,
    params,
    id: id ?? String(++actionCounter),
  }),
}

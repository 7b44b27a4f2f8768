import type { HookMemo } from '@webhook-router/charm-machine'
import {
  INGRESS_ENDPOINT,
  databagChanges,
  ingressAppData,
  ingressUnitData,
  unitFqdn,
} from './ingress.js'
import type { CharmModel } from './model.js'
import { MONGODB_ENDPOINT, mongodbRequest } from './mongodb.js'
import {
  GRAFANA_DASHBOARD_ENDPOINT,
  METRICS_ENDPOINT,
  grafanaDashboardAppData,
  metricsEndpointAppData,
  metricsEndpointUnitData,
  type JujuTopology,
} from './observability.js'
import { RABBITMQ_ENDPOINT, RABBITMQ_VHOST, rabbitmqRequest } from './rabbitmq.js'
import { APP_PORT } from './workload-layer.js'

/** The charm's name in metadata, which COS shows beside dashboards and alerts. */
export const CHARM_NAME = 'github-runner-webhook-router'

/**
 * Which relation data to publish: `ingress` only (every dispatch, as the reference does to
 * heal a stale address after a pod restart) or `all` (every dispatch but update-status).
 */
export type PublishScope = 'ingress' | 'all'

const PUBLISHED_MEMO = 'published.'

/**
 * Forgets what this unit published to app bags: another leader may have written them since.
 * Call it when this unit becomes leader.
 */
export function forgetPublishedAppData(memo: HookMemo): void {
  for (const key of Object.keys(memo))
    if (key.startsWith(PUBLISHED_MEMO) && key.endsWith('.app')) delete memo[key]
}

/**
 * Publishes what this unit owes its relations, writing only what differs from the databags:
 * the database and broker requests (leader), ingress v2 app (leader) and unit data, the scrape job and
 * alert rules (leader) with this unit's address, and the Grafana dashboard (leader).
 *
 * With a `memo` (the runtime's, kept across successful dispatches), a bag is not even read when
 * an earlier dispatch read it back holding exactly the data wanted now: only this unit writes
 * its unit bag, and only the leader its app bag, so it still holds that data. A bag just
 * written is read once more on the next dispatch before it is trusted, since Juju drops the
 * writes of a hook that fails after the charm's process ends.
 */
export async function publishRelationData(
  model: CharmModel,
  scope: PublishScope,
  memo: HookMemo = {},
): Promise<void> {
  const leader = await model.isLeader()
  if (!leader) forgetPublishedAppData(memo)
  const visited = new Set<string>()
  const sync = async (
    endpoint: string,
    relationId: number,
    bag: 'app' | 'unit',
    desired: Record<string, string>,
    removeStale: boolean,
  ): Promise<void> => {
    const key = `${PUBLISHED_MEMO}${endpoint}:${relationId}.${bag}`
    visited.add(key)
    const wanted = JSON.stringify(desired)
    if (memo[key] === `confirmed ${wanted}`) return
    const current = await model.readBag(
      endpoint,
      relationId,
      bag === 'app' ? 'local-app' : 'local-unit',
    )
    const changes = databagChanges(current, desired)
    if (!removeStale)
      for (const name of Object.keys(changes)) if (changes[name] === '') delete changes[name]
    await model.writeBag(endpoint, relationId, bag, changes)
    memo[key] = `${Object.keys(changes).length === 0 ? 'confirmed' : 'written'} ${wanted}`
  }
  const forgetGone = (endpoint: string): void => {
    const prefix = `${PUBLISHED_MEMO}${endpoint}:`
    for (const key of Object.keys(memo))
      if (key.startsWith(prefix) && !visited.has(key)) delete memo[key]
  }

  for (const relationId of await model.relationIds(INGRESS_ENDPOINT)) {
    const address = await model.bindAddress(INGRESS_ENDPOINT, relationId)
    await sync(
      INGRESS_ENDPOINT,
      relationId,
      'unit',
      ingressUnitData(unitFqdn(model.unitName, model.modelName), address),
      true,
    )
    if (leader) {
      const request = {
        model: model.modelName,
        app: model.appName,
        port: APP_PORT,
        stripPrefix: true,
      }
      await sync(INGRESS_ENDPOINT, relationId, 'app', ingressAppData(request), true)
    }
  }
  forgetGone(INGRESS_ENDPOINT)
  if (scope === 'ingress') return

  const topology: JujuTopology = {
    model: model.modelName,
    modelUuid: model.modelUuid,
    application: model.appName,
    unit: model.unitName,
    charmName: CHARM_NAME,
  }
  if (leader) {
    for (const relationId of await model.relationIds(MONGODB_ENDPOINT)) {
      // Keep whatever else the data_interfaces library may have written to the bag.
      await sync(MONGODB_ENDPOINT, relationId, 'app', mongodbRequest(model.appName), false)
    }
    for (const relationId of await model.relationIds(RABBITMQ_ENDPOINT)) {
      // The user and vhost the provider creates; asked on every hook but update-status, so
      // relation-created and -joined carry it, as paas-charm's request on -joined does.
      const request = rabbitmqRequest(model.appName, RABBITMQ_VHOST)
      await sync(RABBITMQ_ENDPOINT, relationId, 'app', request, false)
    }
    for (const relationId of await model.relationIds(GRAFANA_DASHBOARD_ENDPOINT)) {
      await sync(
        GRAFANA_DASHBOARD_ENDPOINT,
        relationId,
        'app',
        grafanaDashboardAppData(topology),
        false,
      )
    }
  }
  for (const relationId of await model.relationIds(METRICS_ENDPOINT)) {
    const address =
      (await model.bindAddress(METRICS_ENDPOINT, relationId)) ??
      unitFqdn(model.unitName, model.modelName)
    await sync(
      METRICS_ENDPOINT,
      relationId,
      'unit',
      metricsEndpointUnitData(address, model.unitName),
      false,
    )
    if (leader)
      await sync(METRICS_ENDPOINT, relationId, 'app', metricsEndpointAppData(topology), false)
  }
  for (const endpoint of [
    MONGODB_ENDPOINT,
    RABBITMQ_ENDPOINT,
    GRAFANA_DASHBOARD_ENDPOINT,
    METRICS_ENDPOINT,
  ])
    forgetGone(endpoint)
}

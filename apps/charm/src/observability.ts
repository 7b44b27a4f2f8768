import { createHash } from 'node:crypto'
import dashboard from './grafana-dashboards/webhook-router.json' with { type: 'json' }
import { xzStore } from './xz.js'

/** The Prometheus scrape endpoint (`prometheus_scrape` interface, provider side). */
export const METRICS_ENDPOINT = 'metrics-endpoint'
/** The Grafana dashboard endpoint (`grafana_dashboard` interface, provider side). */
export const GRAFANA_DASHBOARD_ENDPOINT = 'grafana-dashboard'
/** The workload serves Prometheus metrics here. */
export const METRICS_PORT = 9102

/** Juju topology, attached to scrape jobs and dashboards so COS can tell units apart. */
export interface JujuTopology {
  readonly model: string
  readonly modelUuid: string
  readonly application: string
  readonly unit: string
  readonly charmName: string
}

const ALERT_RULES = {
  groups: [
    {
      name: 'webhook-router',
      rules: [
        {
          alert: 'WebhookRouterUnreachable',
          expr: 'up < 1',
          for: '5m',
          labels: { severity: 'critical' },
          annotations: { summary: 'The webhook router has not been scraped for 5 minutes.' },
        },
        {
          alert: 'WebhookRouterUnroutableJobs',
          expr: 'increase(webhook_router_webhooks_total{outcome="unroutable"}[15m]) > 0',
          labels: { severity: 'warning' },
          annotations: { summary: 'Jobs arrived whose labels no flavour matches.' },
        },
        {
          alert: 'WebhookRouterQueueFailing',
          expr: 'increase(webhook_router_webhooks_total{outcome=~"failed_.*"}[10m]) > 0',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Webhooks are answered 503 because the queue cannot be written.',
          },
        },
        {
          alert: 'WebhookRouterRedeliveryFailing',
          expr: 'increase(webhook_router_redelivery_scan_errors_total[30m]) > 0',
          labels: { severity: 'warning' },
          annotations: { summary: 'Automatic redelivery scans of failed webhooks are failing.' },
        },
      ],
    },
  ],
}

/**
 * The provider's application databag for `metrics-endpoint`: one job scraping every unit on
 * port 9102, the topology, and the alert rules.
 */
export function metricsEndpointAppData(topology: JujuTopology): Record<string, string> {
  return {
    scrape_jobs: JSON.stringify([
      { metrics_path: '/metrics', static_configs: [{ targets: [`*:${METRICS_PORT}`] }] },
    ]),
    scrape_metadata: JSON.stringify(topologyJson(topology)),
    alert_rules: JSON.stringify(ALERT_RULES),
  }
}

/** The provider's unit databag for `metrics-endpoint`: where Prometheus finds this unit. */
export function metricsEndpointUnitData(address: string, unitName: string): Record<string, string> {
  return { prometheus_scrape_unit_address: address, prometheus_scrape_unit_name: unitName }
}

/**
 * The provider's application databag for `grafana-dashboard`: the shipped dashboard as base64
 * of an `.xz` stream, as the grafana_dashboard library's consumer decodes it. The `uuid` is the
 * content hash, so re-publishing an unchanged dashboard writes identical data.
 */
export function grafanaDashboardAppData(topology: JujuTopology): Record<string, string> {
  const json = JSON.stringify(dashboard)
  const content = xzStore(Buffer.from(json, 'utf8')).toString('base64')
  const hash = createHash('sha256').update(json).digest('hex')
  const templates = {
    'file:webhook-router.json': {
      charm: topology.charmName,
      content,
      juju_topology: {
        model: topology.model,
        model_uuid: topology.modelUuid,
        application: topology.application,
        unit: topology.unit,
      },
      inject_dropdowns: true,
      dashboard_alt_uid: hash.slice(0, 40),
    },
  }
  return { dashboards: JSON.stringify({ templates, uuid: hash.slice(0, 32) }) }
}

/** The dashboard object the charm ships (also in `src/grafana-dashboards/`). */
export function shippedDashboard(): typeof dashboard {
  return dashboard
}

function topologyJson(topology: JujuTopology): Record<string, string> {
  return {
    model: topology.model,
    model_uuid: topology.modelUuid,
    application: topology.application,
    unit: topology.unit,
    charm_name: topology.charmName,
  }
}

import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import {
  grafanaDashboardAppData,
  metricsEndpointAppData,
  metricsEndpointUnitData,
  shippedDashboard,
} from './observability.js'

const topology = {
  model: 'prod',
  modelUuid: 'uuid-1',
  application: 'github-runner-webhook-router',
  unit: 'github-runner-webhook-router/0',
  charmName: 'github-runner-webhook-router',
}

describe('metrics-endpoint provider data', () => {
  it('scrapes every unit on port 9102 at /metrics', () => {
    const data = metricsEndpointAppData(topology)
    expect(JSON.parse(data['scrape_jobs'] ?? '')).toEqual([
      { metrics_path: '/metrics', static_configs: [{ targets: ['*:9102'] }] },
    ])
    expect(JSON.parse(data['scrape_metadata'] ?? '')).toMatchObject({
      model: 'prod',
      application: 'github-runner-webhook-router',
    })
    expect(JSON.parse(data['alert_rules'] ?? '').groups[0].rules.length).toBeGreaterThan(0)
  })

  it('publishes the unit address', () => {
    expect(metricsEndpointUnitData('10.0.0.1', 'a/0')).toEqual({
      prometheus_scrape_unit_address: '10.0.0.1',
      prometheus_scrape_unit_name: 'a/0',
    })
  })
})

describe('grafana-dashboard provider data', () => {
  it('ships the dashboard as base64 of an xz stream that Python lzma decodes', () => {
    const data = JSON.parse(grafanaDashboardAppData(topology)['dashboards'] ?? '')
    const template = data.templates['file:webhook-router.json']
    const script =
      'import sys, lzma, base64; sys.stdout.write(lzma.decompress(base64.b64decode(sys.stdin.read())).decode())'
    const decoded = execFileSync('/usr/bin/python3', ['-c', script], { input: template.content })
    expect(JSON.parse(decoded.toString())).toEqual(shippedDashboard())
    expect(template.juju_topology).toMatchObject({ application: 'github-runner-webhook-router' })
  })

  it('writes identical data for an unchanged dashboard', () => {
    expect(grafanaDashboardAppData(topology)).toEqual(grafanaDashboardAppData(topology))
  })

  it('charts the router metrics', () => {
    const expressions = JSON.stringify(shippedDashboard().panels)
    for (const metric of [
      'webhook_router_webhooks_total',
      'webhook_router_jobs_queued_total',
      'webhook_router_queue_write_duration_seconds_bucket',
      'webhook_router_redeliveries_total',
      'webhook_router_unroutable_jobs_total',
      'webhook_router_signature_matches_total',
    ]) {
      expect(expressions).toContain(metric)
    }
  })
})

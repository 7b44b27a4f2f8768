/**
 * `webhook-router` as a drop-in for Canonical's webhook gateway: started with the gateway's own
 * three variables (and a free metrics port, for the test), against a real RabbitMQ.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signBody } from '@webhook-router/router'
import { declarePlannerQueue, drainPlannerQueue, SECRET } from './amqp-support.js'
import { freePort, startBroker, type Broker } from './rabbitmq-broker.js'
import { cliPath, runCli } from './workload-harness.js'

let broker: Broker
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'amqp-workload-test-'))
  broker = await startBroker()
}, 120_000)

afterAll(async () => {
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

/** The gateway's configuration; only the metrics port is added, so parallel tests never clash. */
const gatewayEnv = (port: number) => ({
  PATH: process.env['PATH'] ?? '',
  APP_PORT: String(port),
  RABBITMQ_CONNECT_STRING: broker.uri,
  APP_WEBHOOK_SECRET_VALUE: SECRET,
  APP_METRICS_PORT: '0',
})

/** Runs a CLI command in the test's folder (where the default dedup file goes). */
function cli(args: string[], env: Record<string, string>) {
  return runCli(args, { ...env, APP_STREAM_DEDUP_PATH: join(dir, '.data', 'stream-dedup.sqlite') })
}

describe('webhook-router with only the gateway variables', () => {
  it('migrate declares the exchange, queue shows the broker side', async () => {
    const env = gatewayEnv(await freePort())
    const migrated = await cli(['migrate'], env)
    expect(migrated.stderr).toBe('')
    expect(migrated.code).toBe(0)
    expect(migrated.stdout).toMatch(
      /declared the exchange github-workflow-jobs \(durable, direct\)/,
    )
    expect(migrated.stdout).not.toContain('guest:guest')
    await declarePlannerQueue(broker.uri)
    const shown = await cli(['queue', '--json'], env)
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toEqual({
      exchange: 'github-workflow-jobs',
      exchangeDeclared: true,
      queues: [
        { name: 'github-workflow-jobs', messages: 0, consumers: 0 },
        { name: 'github-workflow-jobs-dlq', messages: 0, consumers: 0 },
      ],
    })
    const peek = await cli(['queue', 'peek', 'small'], env)
    expect(peek.code).toBe(1)
    expect(peek.stderr).toMatch(/publishing mode is 'stream'/)
  })

  it('serves every signed workflow_job webhook to the exchange, with no flavour table', async () => {
    await declarePlannerQueue(broker.uri)
    const port = await freePort()
    const child = spawn(process.execPath, [cliPath, 'serve'], { env: gatewayEnv(port), cwd: dir })
    try {
      const lines = createInterface({ input: child.stdout })
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
        lines.on('line', (text) => {
          const line = JSON.parse(text) as Record<string, unknown>
          if (line['msg'] === 'webhook-router listening') resolve(line)
        })
      })
      expect(listening['publish_mode']).toBe('stream')
      expect(String(listening['stream_location'])).not.toContain('guest:guest')
      const base = `http://127.0.0.1:${port}`
      const body = JSON.stringify({
        action: 'completed',
        workflow_job: { id: 77, labels: ['anything'], url: 'https://api.github.com/x/77' },
      })
      const response = await fetch(`${base}/webhook`, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'workflow_job',
          'X-GitHub-Delivery': 'dropin-1',
          'X-Hub-Signature-256': signBody(new TextEncoder().encode(body), SECRET),
        },
      })
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('')
      expect((await fetch(`${base}/health`)).status).toBe(200)
      const unsigned = await fetch(`${base}/webhook`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'workflow_job' },
      })
      expect(unsigned.status).toBe(403)
      const [message, ...rest] = await drainPlannerQueue(broker.uri)
      expect(rest).toEqual([])
      expect(message?.content.toString()).toBe(body)
      expect(message?.properties.headers?.['X-GitHub-Delivery']).toBe('dropin-1')
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  })
})

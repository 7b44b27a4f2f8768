// What the AMQP tests share: the planner's queue topology, declared as the planner declares it,
// a reader of that queue, and signed webhooks.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { connect, type ChannelModel, type GetMessage } from 'amqplib'
import {
  GATEWAY_EXCHANGE,
  GATEWAY_ROUTING_KEY,
  PLANNER_DEAD_LETTER_EXCHANGE,
  PLANNER_DEAD_LETTER_QUEUE,
  PLANNER_QUEUE,
} from '@webhook-router/router'
import { webhookRequestInit, workflowJobPayload } from '@webhook-router/router/testing'
import { toolPaths } from '../tools/provision.mjs'

export const SECRET = 'amqp-test-secret'

/**
 * Declares what the planner declares: the dead-letter exchange and queue, the exchange, the
 * queue with dead-lettering, and the binding (canonical/github-runner-operators, planner).
 */
export async function declarePlannerQueue(uri: string): Promise<void> {
  const connection = await connect(uri)
  try {
    const channel = await connection.createChannel()
    await channel.assertExchange(PLANNER_DEAD_LETTER_EXCHANGE, 'direct', { durable: true })
    await channel.assertQueue(PLANNER_DEAD_LETTER_QUEUE, { durable: true })
    await channel.bindQueue(
      PLANNER_DEAD_LETTER_QUEUE,
      PLANNER_DEAD_LETTER_EXCHANGE,
      GATEWAY_ROUTING_KEY,
    )
    await channel.assertExchange(GATEWAY_EXCHANGE, 'direct', { durable: true })
    await channel.assertQueue(PLANNER_QUEUE, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': PLANNER_DEAD_LETTER_EXCHANGE },
    })
    await channel.bindQueue(PLANNER_QUEUE, GATEWAY_EXCHANGE, GATEWAY_ROUTING_KEY)
  } finally {
    await connection.close()
  }
}

/** Takes (and acks) every message waiting in the planner's queue, in order. */
export async function drainPlannerQueue(uri: string): Promise<GetMessage[]> {
  const connection: ChannelModel = await connect(uri)
  try {
    const channel = await connection.createChannel()
    const messages: GetMessage[] = []
    for (;;) {
      const message = await channel.get(PLANNER_QUEUE, { noAck: true })
      if (message === false) return messages
      messages.push(message)
    }
  } finally {
    await connection.close()
  }
}

/** A message as py-amqp (kombu's AMQP client) read it. */
export interface PythonRead {
  readonly body: string
  readonly exchange: string
  readonly routing_key: string
  readonly content_type: string | null
  readonly delivery_mode: number | null
  readonly headers: Record<string, string> | null
  readonly other_properties: string[]
}

const run = promisify(execFile)
const reader = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'amqp_read.py')

/** Reads the planner's queue with py-amqp from the consumer's pinned venv. */
export async function readWithPython(port: number): Promise<PythonRead[]> {
  const { stdout } = await run(toolPaths().python, [reader, `127.0.0.1:${port}`, PLANNER_QUEUE], {
    timeout: 30_000,
  })
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PythonRead)
}

/** A signed `workflow_job` webhook with every GitHub header the gateway forwards. */
export function signedWebhook(options: {
  deliveryId: string
  action?: string
  jobId?: number
  labels?: string[]
}): { init: RequestInit; body: string; headers: Record<string, string> } {
  const payload = workflowJobPayload({
    action: options.action ?? 'queued',
    jobId: options.jobId ?? 1000,
    labels: options.labels ?? ['self-hosted', 'linux', 'small'],
  })
  const body = JSON.stringify(payload)
  const headers = {
    'X-GitHub-Hook-ID': '424242',
    'X-GitHub-Hook-Installation-Target-Type': 'organization',
    'X-GitHub-Hook-Installation-Target-ID': '9919',
  }
  const init = webhookRequestInit(body, { secret: SECRET, deliveryId: options.deliveryId, headers })
  return {
    init,
    body,
    headers: {
      ...headers,
      'X-GitHub-Event': 'workflow_job',
      'X-GitHub-Delivery': options.deliveryId,
    },
  }
}

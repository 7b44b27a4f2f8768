/**
 * One-off measurement (not part of `npm run bench`): the peak RSS of `webhook-router serve`,
 * started through the installed bin (its V8 flags), under a flood of 64 concurrent 880 KiB
 * signed `workflow_job` webhooks, all of them routed and queued.
 *
 *   npx tsc -b apps/workload/bench && node apps/workload/bench/dist/flood-rss.js [seconds] [VAR=value ...]
 *
 * Extra `VAR=value` arguments go to the router's environment, e.g.
 * `APP_HTTP_MAX_BODY_BYTES_IN_FLIGHT=1073741824` to measure without the body budget.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSqliteQueue } from '@webhook-router/router'
import { peakRssMiB, startProcess, stopProcess } from './processes.js'

const SECRET = 'flood-secret'
const CONCURRENCY = 64
const BODY_BYTES = 880 * 1024
const seconds = Number(process.argv[2] ?? 20)
const extraEnv = Object.fromEntries(
  process.argv
    .slice(3)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
)

const here = dirname(fileURLToPath(import.meta.url))
const bin = resolve(here, '../../bin/webhook-router.js')

/** A queued job padded to exactly BODY_BYTES, with a fresh job id. */
function body(jobId: number): Buffer {
  const payload = {
    action: 'queued',
    workflow_job: {
      id: jobId,
      url: `https://api.github.com/repos/o/r/actions/jobs/${jobId}`,
      labels: ['self-hosted', 'linux', 'large', 'x64'],
    },
    padding: '',
  }
  const base = Buffer.byteLength(JSON.stringify(payload))
  payload.padding = 'x'.repeat(BODY_BYTES - base)
  return Buffer.from(JSON.stringify(payload))
}

function post(agent: Agent, port: number, jobId: number): Promise<number> {
  const bytes = body(jobId)
  const signature = 'sha256=' + createHmac('sha256', SECRET).update(bytes).digest('hex')
  return new Promise((resolvePost) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/webhook',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': bytes.length,
          'x-github-event': 'workflow_job',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolvePost(res.statusCode ?? 0))
      },
    )
    req.on('error', () => resolvePost(0))
    req.end(bytes)
  })
}

const dir = mkdtempSync(join(tmpdir(), 'flood-rss-'))
const started = await startProcess(
  bin,
  ['serve'],
  {
    PATH: process.env['PATH'],
    APP_FLAVOURS: '[{small: [small, x64]}, {large: [large, x64]}]',
    APP_DEFAULT_FLAVOUR: 'small',
    APP_WEBHOOK_SECRET: SECRET,
    APP_QUEUE_PATH: join(dir, 'queue.sqlite'),
    APP_HOST: '127.0.0.1',
    APP_PORT: '0',
    APP_METRICS_PORT: '0',
    ...extraEnv,
  },
  join(dir, 'router.log'),
  (line) => {
    const match = /"webhook_url":"http:\/\/[^:]+:(\d+)\//.exec(line)
    return match ? Number(match[1]) : undefined
  },
  { executable: true },
)
const idle = peakRssMiB(started.child.pid)
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
const statuses = new Map<number, number>()
const deadline = Date.now() + seconds * 1000
let jobId = 0
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < deadline) {
      const status = await post(agent, started.port, ++jobId)
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }),
)
const peak = peakRssMiB(started.child.pid)
agent.destroy()
const code = await stopProcess(started.child)
const queue = createSqliteQueue({ path: join(dir, 'queue.sqlite') })
const stored = (await queue.depth())['large'] ?? 0
await queue.close()
rmSync(dir, { recursive: true, force: true })
process.stdout.write(
  JSON.stringify({
    seconds,
    concurrency: CONCURRENCY,
    body_bytes: BODY_BYTES,
    env: extraEnv,
    answers: Object.fromEntries(statuses),
    stored,
    rss_after_start_mib: idle === undefined ? null : Math.round(idle),
    peak_rss_mib: peak === undefined ? null : Math.round(peak * 10) / 10,
    exit_code: code,
  }) + '\n',
)

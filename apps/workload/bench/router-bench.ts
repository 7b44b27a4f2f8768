// Router throughput and latency: the real `webhook-router serve` on the embedded SQLite queue
// against a bare node:http receiver, in the same run. `npm run bench -w @webhook-router/workload`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon, { type Result } from 'autocannon'
import { pacedLoad } from './paced-load.js'
import { examplePayloadBytes, signedWebhookRequests } from './payloads.js'
import { peakRssMiB, startProcess, stopProcess, type Started } from './processes.js'

const SECRET = 'bench-secret-not-for-production'
const CONNECTIONS = 64
const STEADY_RATE = 1000
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10)
const WARMUP_S = 3

const here = fileURLToPath(new URL('.', import.meta.url))
const cli = join(here, '../../dist/cli.js')
const bareServer = join(here, 'bare-server.js')

const routerEnv = (dir: string, synchronous: string): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'],
  APP_FLAVOURS: '[{small: [small, x64]}, {large: [large, x64]}, {arm64: [arm64, large]}]',
  APP_DEFAULT_FLAVOUR: 'small',
  APP_WEBHOOK_SECRET: SECRET,
  APP_QUEUE_PATH: join(dir, `queue-${synchronous}.sqlite`),
  APP_QUEUE_SYNCHRONOUS: synchronous,
  APP_HOST: '127.0.0.1',
  APP_PORT: '0',
  APP_METRICS_PORT: '0',
  APP_LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
})

interface Measure {
  readonly reqPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly ok: number
  readonly failed: number
}

function load(label: string, url: string, path: string, seconds: number) {
  return new Promise<Measure>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
        requests: [{ method: 'POST', path, setupRequest: signedWebhookRequests(SECRET, path) }],
      },
      (error: Error | null, result: Result) => {
        if (error) return reject(error)
        const measure = {
          reqPerSec: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          ok: result['2xx'],
          failed: result.non2xx + result.errors + result.timeouts,
        }
        process.stdout.write(
          `  ${label}: ${measure.reqPerSec.toFixed(0)} req/s, p50 ${measure.p50Ms} ms, ` +
            `p99 ${measure.p99Ms} ms, ${measure.ok} ok, ${measure.failed} failed\n`,
        )
        resolve(measure)
      },
    )
    let second = 0
    instance.on('tick', ({ counter }) => {
      second += 1
      if (second % 2 === 0)
        process.stdout.write(`    ${label} ${second}/${seconds} s: ${counter} req/s\n`)
    })
  })
}

async function steadyLoad(label: string, url: string, path: string, seconds: number) {
  const setupRequest = signedWebhookRequests(SECRET, path)
  const measure = await pacedLoad({
    url,
    path,
    rate: STEADY_RATE,
    seconds,
    connections: CONNECTIONS,
    setupRequest,
  })
  process.stdout.write(
    `  ${label}: ${measure.reqPerSec.toFixed(0)} req/s, p50 ${measure.p50Ms} ms, ` +
      `p99 ${measure.p99Ms} ms, ${measure.ok} ok, ${measure.failed} failed\n`,
  )
  return measure
}

interface Target {
  readonly name: string
  readonly url: string
  readonly path: string
  readonly started: Started
  readonly env?: NodeJS.ProcessEnv
}

async function startRouter(dir: string, synchronous: 'full' | 'normal'): Promise<Target> {
  const env = routerEnv(dir, synchronous)
  const started = await startProcess(
    cli,
    ['serve'],
    env,
    join(dir, `router-${synchronous}.log`),
    (line) => {
      const match = /"webhook_url":"http:\/\/[^:]+:(\d+)\//.exec(line)
      return match ? Number(match[1]) : undefined
    },
  )
  const url = `http://127.0.0.1:${started.port}`
  return { name: `router (synchronous=${synchronous})`, url, path: '/webhook', started, env }
}

async function startBare(): Promise<Target> {
  const started = await startProcess(
    bareServer,
    [],
    { APP_WEBHOOK_SECRET: SECRET },
    undefined,
    (line) =>
      line.startsWith('{"port"') ? (JSON.parse(line) as { port: number }).port : undefined,
  )
  return { name: 'bare node:http', url: `http://127.0.0.1:${started.port}`, path: '/', started }
}

interface TargetResult {
  readonly name: string
  readonly saturated: Measure
  readonly steady: Measure
  readonly peakRssMiB?: number | undefined
  readonly accepted: number
  readonly warmupFailed?: number
  readonly stored?: number | undefined
  readonly exitCode?: number | null
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'router-bench-'))
  console.log(
    `Router benchmark: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  )
  console.log(
    `  ${CONNECTIONS} connections, ${DURATION_S} s per phase, signed queued payloads of ` +
      `${examplePayloadBytes()} bytes, queues in ${dir}`,
  )
  const targets = [
    await startBare(),
    await startRouter(dir, 'full'),
    await startRouter(dir, 'normal'),
  ]
  try {
    const accepted = new Map<string, number>()
    const warmupFailed = new Map<string, number>()
    const count = (target: Target, measure: Measure) =>
      accepted.set(target.name, (accepted.get(target.name) ?? 0) + measure.ok)
    console.log('Warm-up')
    for (const t of targets) {
      const measure = await load(`${t.name} warm-up`, t.url, t.path, WARMUP_S)
      warmupFailed.set(t.name, measure.failed)
      count(t, measure)
    }
    console.log(`Saturated (${CONNECTIONS} connections, as fast as they go)`)
    const saturated = new Map<string, Measure>()
    for (const t of targets) {
      const measure = await load(t.name, t.url, t.path, DURATION_S)
      saturated.set(t.name, measure)
      count(t, measure)
    }
    console.log(`Steady ${STEADY_RATE} req/s offered, evenly spaced (open loop)`)
    const steady = new Map<string, Measure>()
    for (const t of targets) {
      const measure = await steadyLoad(t.name, t.url, t.path, DURATION_S)
      steady.set(t.name, measure)
      count(t, measure)
    }

    const results: TargetResult[] = []
    for (const t of targets) {
      const peak = peakRssMiB(t.started.child.pid)
      const exitCode = await stopProcess(t.started.child)
      const stored = t.env ? storedMessages(t.env) : undefined
      results.push({
        name: t.name,
        saturated: saturated.get(t.name) as Measure,
        steady: steady.get(t.name) as Measure,
        peakRssMiB: peak,
        accepted: accepted.get(t.name) ?? 0,
        warmupFailed: warmupFailed.get(t.name) ?? 0,
        stored,
        exitCode,
      })
    }
    report(results)
    writeFileSync(
      join(here, 'last-result.json'),
      JSON.stringify(
        { date: new Date().toISOString(), node: process.version, cpus: cpus().length, results },
        null,
        2,
      ) + '\n',
    )
    for (const r of results) {
      // Requests that timed out, or were still in flight when a phase ended, may be stored
      // without a counted answer: never fewer than accepted, never more than that slack.
      const slack = r.saturated.failed + r.steady.failed + (r.warmupFailed ?? 0) + 3 * CONNECTIONS
      if (r.stored !== undefined && (r.stored < r.accepted || r.stored > r.accepted + slack)) {
        throw new Error(`${r.name} stored ${r.stored} messages for ${r.accepted} accepted webhooks`)
      }
    }
  } finally {
    for (const t of targets) t.started.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

function storedMessages(env: NodeJS.ProcessEnv): number {
  const depth = JSON.parse(
    execFileSync(process.execPath, [cli, 'queue', '--json'], { env }).toString(),
  ) as Record<string, number>
  return Object.values(depth).reduce((sum, n) => sum + n, 0)
}

function report(results: readonly TargetResult[]): void {
  const [bare, ...routers] = results
  if (!bare) return
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')
  console.log('Result')
  console.log(
    `  bare: ${bare.saturated.reqPerSec.toFixed(0)} req/s saturated, p99 ${bare.steady.p99Ms} ms at ${STEADY_RATE} req/s`,
  )
  for (const r of routers) {
    const ratio = r.saturated.reqPerSec / bare.saturated.reqPerSec
    const gap = r.steady.p99Ms - bare.steady.p99Ms
    const rssMB = (r.peakRssMiB ?? Infinity) * 1.048576
    console.log(`  ${r.name}:`)
    console.log(
      `    saturated ${r.saturated.reqPerSec.toFixed(0)} req/s, ratio to bare ${ratio.toFixed(2)} (target >= 0.6: ${verdict(ratio >= 0.6)})`,
    )
    console.log(
      `    p99 at ${STEADY_RATE} req/s ${r.steady.p99Ms} ms, gap to bare ${gap.toFixed(1)} ms (target <= 5 ms: ${verdict(gap <= 5)}); achieved ${r.steady.reqPerSec.toFixed(0)} req/s`,
    )
    console.log(`    peak RSS ${rssMB.toFixed(0)} MB (target < 150 MB: ${verdict(rssMB < 150)})`)
    console.log(
      `    answered 2xx to ${r.accepted} webhooks, stored ${r.stored} messages, SIGTERM exit ${r.exitCode}`,
    )
  }
}

await main()

// Router throughput and latency: the real `webhook-router serve` on the embedded SQLite queue
// against a bare node:http receiver, in the same run. `npm run bench -w @webhook-router/workload`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon, { type Result } from 'autocannon'
import { pacedLoad } from './paced-load.js'
import { examplePayloadBytes, signedWebhookRequests } from './payloads.js'
import { cpuTimes, peakRssMiB, startProcess, stopProcess, type Started } from './processes.js'
import { brokerInstalled, startBenchBroker, type BenchBroker } from './rabbitmq.js'

const SECRET = 'bench-secret-not-for-production'
const CONNECTIONS = 64
const STEADY_RATE = 1000
// The targets take turns in short slices, so a disturbance on this shared machine hits every
// target about equally instead of skewing one target's whole phase.
const SLICES = Number(process.env['BENCH_SLICES'] ?? 4)
const SLICE_S = Number(process.env['BENCH_SLICE_S'] ?? 5)
const WARMUP_S = 3

const here = fileURLToPath(new URL('.', import.meta.url))
const cli = join(here, '../../dist/cli.js')
// The installed command, with the V8 flags of its `#!` line, as Pebble and the rock start it.
const bin = join(here, '../../bin/webhook-router.js')
const bareServer = join(here, 'bare-server.js')

const routerEnv = (dir: string, synchronous: string): NodeJS.ProcessEnv => ({
  // The bin's `#!/usr/bin/env` finds this very node first.
  PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
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
  /** CPU per answered request during the phase, in µs, when /proc could be read. */
  readonly cpuUsPerRequest?: { readonly process: number; readonly mainThread: number } | undefined
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
  return startRouterWith(dir, `router (synchronous=${synchronous})`, routerEnv(dir, synchronous))
}

/** The gateway's mode: every webhook to RabbitMQ, confirmed, dedup records in SQLite. */
async function startStreamRouter(dir: string, uri: string): Promise<Target> {
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
    RABBITMQ_CONNECT_STRING: uri,
    APP_WEBHOOK_SECRET_VALUE: SECRET,
    APP_STREAM_DEDUP_PATH: join(dir, 'stream-dedup.sqlite'),
    APP_HOST: '127.0.0.1',
    APP_PORT: '0',
    APP_METRICS_PORT: '0',
    APP_LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
  }
  return startRouterWith(dir, 'router (stream, RabbitMQ)', env)
}

async function startRouterWith(dir: string, name: string, env: NodeJS.ProcessEnv): Promise<Target> {
  const started = await startProcess(
    bin,
    ['serve'],
    env,
    join(dir, `${name.replace(/\W+/g, '-')}.log`),
    (line) => {
      const match = /"webhook_url":"http:\/\/[^:]+:(\d+)\//.exec(line)
      return match ? Number(match[1]) : undefined
    },
    { executable: true },
  )
  const url = `http://127.0.0.1:${started.port}`
  return { name, url, path: '/webhook', started, env }
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
  /** One measure per slice, in slice order. */
  readonly saturated: readonly Measure[]
  readonly steady: readonly Measure[]
  readonly peakRssMiB?: number | undefined
  readonly accepted: number
  readonly failed: number
  readonly stored?: number | undefined
  readonly exitCode?: number | null
}

/** Each slice starts with a different target, so no target always runs first or last. */
function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, index) => items[(index + by) % items.length] as T)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'router-bench-'))
  console.log(
    `Router benchmark: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  )
  console.log(
    `  ${CONNECTIONS} connections, ${SLICES} interleaved slices of ${SLICE_S} s per phase, signed ` +
      `queued payloads of ${examplePayloadBytes()} bytes, queues in ${dir}`,
  )
  // BENCH_AMQP=0 skips the RabbitMQ target; it also needs Debian's rabbitmq-server.
  const amqp = process.env['BENCH_AMQP'] !== '0' && brokerInstalled()
  const broker: BenchBroker | undefined = amqp
    ? await startBenchBroker(join(dir, 'rabbitmq'))
    : undefined
  const targets = [
    await startBare(),
    await startRouter(dir, 'full'),
    await startRouter(dir, 'normal'),
    ...(broker ? [await startStreamRouter(dir, broker.uri)] : []),
  ]
  try {
    const accepted = new Map<string, number>()
    const failed = new Map<string, number>()
    const saturated = new Map<string, Measure[]>(targets.map((t) => [t.name, []]))
    const steady = new Map<string, Measure[]>(targets.map((t) => [t.name, []]))
    const count = (target: Target, measure: Measure) => {
      accepted.set(target.name, (accepted.get(target.name) ?? 0) + measure.ok)
      failed.set(target.name, (failed.get(target.name) ?? 0) + measure.failed)
    }
    console.log('Warm-up')
    for (const t of targets) count(t, await load(`${t.name} warm-up`, t.url, t.path, WARMUP_S))
    for (let slice = 0; slice < SLICES; slice += 1) {
      console.log(`Saturated, slice ${slice + 1}/${SLICES} (${CONNECTIONS} connections)`)
      for (const t of rotated(targets, slice)) {
        const before = cpuTimes(t.started.child.pid)
        const measure = await load(t.name, t.url, t.path, SLICE_S)
        const after = cpuTimes(t.started.child.pid)
        const answered = measure.ok + measure.failed
        const cpuUsPerRequest =
          before && after && answered > 0
            ? {
                process: (after.processUs - before.processUs) / answered,
                mainThread: (after.mainThreadUs - before.mainThreadUs) / answered,
              }
            : undefined
        saturated.get(t.name)?.push({ ...measure, cpuUsPerRequest })
        count(t, measure)
      }
    }
    for (let slice = 0; slice < SLICES; slice += 1) {
      console.log(`Steady ${STEADY_RATE} req/s evenly spaced, slice ${slice + 1}/${SLICES}`)
      for (const t of rotated(targets, slice)) {
        const measure = await steadyLoad(t.name, t.url, t.path, SLICE_S)
        steady.get(t.name)?.push(measure)
        count(t, measure)
      }
    }

    const results: TargetResult[] = []
    for (const t of targets) {
      const peak = peakRssMiB(t.started.child.pid)
      const exitCode = await stopProcess(t.started.child)
      const stored = t.env ? storedMessages(t.env) : undefined
      results.push({
        name: t.name,
        saturated: saturated.get(t.name) ?? [],
        steady: steady.get(t.name) ?? [],
        peakRssMiB: peak,
        accepted: accepted.get(t.name) ?? 0,
        failed: failed.get(t.name) ?? 0,
        stored,
        exitCode,
      })
    }
    const summary = report(results)
    writeFileSync(
      join(here, 'last-result.json'),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpus: cpus().length,
          slices: SLICES,
          sliceSeconds: SLICE_S,
          summary,
          results,
        },
        null,
        2,
      ) + '\n',
    )
    for (const r of results) {
      // Requests that timed out, or were still in flight when a slice ended, may be stored
      // without a counted answer: never fewer than accepted, never more than that slack.
      const slack = r.failed + (1 + 2 * SLICES) * CONNECTIONS
      if (r.stored !== undefined && (r.stored < r.accepted || r.stored > r.accepted + slack)) {
        throw new Error(`${r.name} stored ${r.stored} messages for ${r.accepted} accepted webhooks`)
      }
    }
  } finally {
    for (const t of targets) t.started.child.kill('SIGKILL')
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function storedMessages(env: NodeJS.ProcessEnv): number {
  const depth = JSON.parse(
    execFileSync(process.execPath, [cli, 'queue', '--json'], { env }).toString(),
  ) as Record<string, number> | { queues: { name: string; messages?: number }[] }
  // The stream mode shows the broker side: the planner's queue holds what was published.
  if ('queues' in depth && Array.isArray(depth.queues)) {
    return depth.queues.find((q) => q.name === 'github-workflow-jobs')?.messages ?? 0
  }
  return Object.values(depth as Record<string, number>).reduce((sum, n) => sum + n, 0)
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length
const range = (values: readonly number[], digits: number) =>
  values.map((value) => value.toFixed(digits)).join(' / ')

interface RouterSummary {
  readonly name: string
  readonly ratioPerSlice: number[]
  readonly ratioMedian: number
  readonly p99GapPerSliceMs: number[]
  readonly p99GapMedianMs: number
  readonly peakRssMB: number
}

/** Targets are judged on the median over slices of each slice's router-to-bare comparison. */
function report(results: readonly TargetResult[]): RouterSummary[] {
  const [bare, ...routers] = results
  if (!bare) return []
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')
  const bareRates = bare.saturated.map((m) => m.reqPerSec)
  const bareP99 = bare.steady.map((m) => m.p99Ms)
  const cpuLine = (measures: readonly Measure[]) => {
    const main = measures.flatMap((m) => (m.cpuUsPerRequest ? [m.cpuUsPerRequest.mainThread] : []))
    const all = measures.flatMap((m) => (m.cpuUsPerRequest ? [m.cpuUsPerRequest.process] : []))
    if (main.length === 0) return '    CPU per request: not measured (no /proc)'
    return (
      `    CPU per request at saturation: main thread ${range(main, 0)} µs (median ` +
      `${median(main).toFixed(0)}), whole process ${range(all, 0)} µs (median ${median(all).toFixed(0)})`
    )
  }
  console.log('Result (per slice, in slice order; targets judged on the median)')
  console.log(
    `  bare: ${mean(bareRates).toFixed(0)} req/s saturated (${range(bareRates, 0)}), ` +
      `p99 at ${STEADY_RATE} req/s ${range(bareP99, 1)} ms`,
  )
  console.log(cpuLine(bare.saturated))
  const summaries: RouterSummary[] = []
  for (const r of routers) {
    const rates = r.saturated.map((m) => m.reqPerSec)
    const ratios = rates.map((rate, index) => rate / (bareRates[index] ?? Number.NaN))
    const p99 = r.steady.map((m) => m.p99Ms)
    const gaps = p99.map((value, index) => value - (bareP99[index] ?? Number.NaN))
    const rssMB = (r.peakRssMiB ?? Infinity) * 1.048576
    const summary = {
      name: r.name,
      ratioPerSlice: ratios,
      ratioMedian: median(ratios),
      p99GapPerSliceMs: gaps,
      p99GapMedianMs: median(gaps),
      peakRssMB: rssMB,
    }
    summaries.push(summary)
    console.log(`  ${r.name}:`)
    console.log(
      `    saturated ${mean(rates).toFixed(0)} req/s (${range(rates, 0)}); ratio to bare ` +
        `${range(ratios, 2)}, median ${summary.ratioMedian.toFixed(2)} ` +
        `(target >= 0.6: ${verdict(summary.ratioMedian >= 0.6)})`,
    )
    console.log(
      `    p99 at ${STEADY_RATE} req/s ${range(p99, 1)} ms; gap to bare ${range(gaps, 1)} ms, ` +
        `median ${summary.p99GapMedianMs.toFixed(1)} ms (target <= 5 ms: ` +
        `${verdict(summary.p99GapMedianMs <= 5)})`,
    )
    console.log(cpuLine(r.saturated))
    console.log(`    peak RSS ${rssMB.toFixed(0)} MB (target < 150 MB: ${verdict(rssMB < 150)})`)
    console.log(
      `    answered 2xx to ${r.accepted} webhooks, stored ${r.stored} messages, SIGTERM exit ${r.exitCode}`,
    )
  }
  return summaries
}

await main()

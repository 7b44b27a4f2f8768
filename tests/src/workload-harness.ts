// Spawns the built `webhook-router` CLI (apps/workload/dist/cli.js) for the workload process tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import { signBody } from '@webhook-router/router'
import { workflowJobPayload } from '@webhook-router/router/testing'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const cliPath = join(repoRoot, 'apps/workload/dist/cli.js')

export const SECRET = 'process-test-secret'

/** A fresh queue folder and the example routing table; ports 0 so the OS picks free ones. */
export function tempEnv(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'workload-test-'))
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    APP_FLAVOURS: '[{small: [small, x64]}, {large: [large, x64]}, {arm64: [arm64, large]}]',
    APP_DEFAULT_FLAVOUR: 'small',
    APP_WEBHOOK_SECRET: SECRET,
    APP_QUEUE_PATH: join(dir, 'queue.sqlite'),
    APP_HOST: '127.0.0.1',
    APP_PORT: '0',
    APP_METRICS_PORT: '0',
    ...extra,
  }
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs one CLI command to completion. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    // A command that hangs must fail its test, not linger after the run.
    const child = spawn(process.execPath, [cliPath, ...args], { env, timeout: 30_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

export interface Served {
  readonly child: ChildProcess
  readonly baseUrl: string
  readonly metricsUrl: string
  /** Every JSON log line so far, parsed. */
  readonly logs: Record<string, unknown>[]
  /** Resolves with the first log line whose `msg` matches. */
  waitForLog(msg: RegExp): Promise<Record<string, unknown>>
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>
  readonly stderr: () => string
}

/** Starts `webhook-router serve` and resolves once it logs where it listens. */
export function startServe(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [cliPath, 'serve'], { env })
  const logs: Record<string, unknown>[] = []
  const waiters: { msg: RegExp; resolve: (line: Record<string, unknown>) => void }[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>
    logs.push(line)
    for (const waiter of [...waiters]) {
      if (waiter.msg.test(String(line['msg']))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    }
  })
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
  const waitForLog = (msg: RegExp) =>
    new Promise<Record<string, unknown>>((done) => {
      const seen = logs.find((line) => msg.test(String(line['msg'])))
      if (seen) done(seen)
      else waiters.push({ msg, resolve: done })
    })
  return Promise.race([
    waitForLog(/^webhook-router listening$/).then((line) => ({
      child,
      baseUrl: String(line['webhook_url']).replace(/\/webhook$/, ''),
      metricsUrl: String(line['metrics_url']),
      logs,
      waitForLog,
      exited,
      stderr: () => stderr,
    })),
    exited.then((code): Served => {
      throw new Error(`serve exited ${code} before listening: ${stderr}`)
    }),
  ])
}

/** A port that was free a moment ago, for a server that must be found again (restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolvePromise(port))
    })
  })
}

/** Polls `url` until it answers (any status), for servers whose stdout cannot be read. */
export async function waitUntilAnswering(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await fetch(url)
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((wake) => setTimeout(wake, 50))
    }
  }
}

/** A signed `workflow_job` delivery for the example routing table. */
export function signedDelivery(labels: readonly string[], jobId: number, secret = SECRET) {
  const body = JSON.stringify(workflowJobPayload({ labels: [...labels], jobId }))
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signBody(new TextEncoder().encode(body), secret),
    },
  }
}

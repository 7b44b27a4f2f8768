#!/usr/bin/env node
// Benchmark: wall time of the *packed* charm's `dispatch`, from process start to exit, under the
// fake Juju (native hook tools + agent) with a Pebble double. Reports the median of 20
// `update-status` runs on a settled unit (target < 150 ms) and of hooks that restart the
// workload (a config change that changes the layer, so Pebble replans).
//
//   npm run bench -w apps/charm        (after `npm run build`)
//
// The workload is a stand-in (`webhook-router migrate` exits 0, `serve` idles): the figures are
// the charm's own (facts, machine, Pebble calls), and no ports are taken on a shared machine.
import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout, clearTimeout } from 'node:timers'
import { fileURLToPath } from 'node:url'
import { startPebbleDouble } from '@webhook-router/pebble-client/testing'

const charmRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repo = resolve(charmRoot, '../..')
const { buildHookToolClient, installHookTools, startFakeAgent } = await import(
  join(repo, 'tests/fake-juju/agent.mjs')
)
const APP = 'github-runner-webhook-router'
const RUNS = 20
const RESTARTS = 5

const work = mkdtempSync(join(tmpdir(), 'charm-bench-'))
const log = (line) => process.stderr.write(`${line}\n`)
process.on('unhandledRejection', (error) => {
  log(`bench: ${error?.message ?? error}`)
  process.exit(1)
})
try {
  log('packing the charm…')
  execFileSync(
    process.execPath,
    [
      join(charmRoot, 'scripts/pack.mjs'),
      '--fast',
      '--out',
      join(work, 'pack'),
      // BENCH_NO_SNAPSHOT=1 packs without the startup snapshot, to compare.
      ...(process.env.BENCH_NO_SNAPSHOT === '1' ? ['--no-snapshot'] : []),
    ],
    { stdio: 'ignore' },
  )
  const charmDir = join(work, 'charm')
  mkdirSync(charmDir)
  execFileSync('unzip', ['-q', join(work, 'pack', `${APP}.charm`), '-d', charmDir])

  const jujuDir = join(work, 'juju')
  const bin = join(jujuDir, 'bin')
  mkdirSync(bin, { recursive: true })
  const kind = installHookTools(bin, buildHookToolClient(jujuDir))
  // BENCH_TOOL_LATENCY_MS=15 makes every hook tool wait that long first, standing in for the
  // fork+exec of the Go jujud binary that each hook tool is in real Juju (idle time, not CPU).
  const latency = Number(process.env.BENCH_TOOL_LATENCY_MS ?? 0)
  if (latency > 0) {
    const real = join(jujuDir, 'real-bin')
    mkdirSync(real)
    for (const tool of readdirSync(bin)) {
      renameSync(join(bin, tool), join(real, tool))
      writeFileSync(
        join(bin, tool),
        `#!/bin/sh\n/bin/sleep ${latency / 1000}\nexec '${join(real, tool)}' "$@"\n`,
        { mode: 0o755 },
      )
    }
  }
  const stateFile = join(jujuDir, 'state.json')
  const agentSocket = join(jujuDir, 'agent.socket')
  const secretId = 'cmongo0000000000001'
  writeFileSync(
    stateFile,
    JSON.stringify({
      model: { name: 'bench', uuid: '6e1b0f3c-0000-4000-8000-00000000beef' },
      app: APP,
      unit: `${APP}/0`,
      leader: true,
      config: {
        flavours: '- small: [small, x64]',
        'default-flavour': 'small',
        'log-level': 'INFO',
        'default-self-hosted-labels': 'self-hosted,linux',
        'redelivery-interval': 0,
        'redelivery-webhook-id': 0,
      },
      relations: [
        {
          id: 1,
          endpoint: 'secret-storage',
          peer: true,
          remoteApp: APP,
          remoteUnits: {},
          remoteAppData: {},
          localApp: { app_secret_key: 'k'.repeat(86) },
          localUnit: {},
        },
        {
          id: 2,
          endpoint: 'mongodb',
          remoteApp: 'mongodb-k8s',
          remoteUnits: { 'mongodb-k8s/0': {} },
          localUnit: {},
          localApp: {
            database: APP,
            'requested-secrets': '["username","password","tls","tls-ca","uris"]',
          },
          remoteAppData: {
            database: APP,
            endpoints: 'm-0.m-endpoints',
            replset: 'm',
            'secret-user': `secret:${secretId}`,
          },
        },
        {
          id: 3,
          endpoint: 'ingress',
          remoteApp: 'traefik-k8s',
          remoteUnits: { 'traefik-k8s/0': {} },
          localApp: {},
          localUnit: {},
          remoteAppData: { ingress: '{"url": "http://bench.test/router"}' },
        },
      ],
      secrets: {
        [secretId]: {
          owner: null,
          granted: true,
          revisions: [
            {
              username: 'relation-2',
              password: 'pw',
              uris: `mongodb://relation-2:pw@m-0.m-endpoints:27017/${APP}`,
            },
          ],
        },
      },
      unitStatus: { status: 'unknown', message: '' },
      appStatus: { status: 'unknown', message: '' },
      statusHistory: [],
      logs: [],
      openedPorts: [],
      charmState: {},
      calls: [],
    }),
  )
  const agent =
    kind === 'native' ? await startFakeAgent({ stateFile, socketPath: agentSocket }) : undefined

  const stubs = join(work, 'stubs')
  mkdirSync(stubs)
  writeFileSync(
    join(stubs, 'webhook-router'),
    '#!/bin/sh\ncase "$1" in migrate) exit 0 ;; serve) exec sleep 100000 ;; esac\nexit 2\n',
  )
  chmodSync(join(stubs, 'webhook-router'), 0o755)
  const containers = join(work, 'containers')
  mkdirSync(join(containers, 'app'), { recursive: true })
  const pebble = await startPebbleDouble({
    socketPath: join(containers, 'app', 'pebble.socket'),
    environment: { ...process.env, PATH: `${stubs}:${process.env.PATH}` },
  })

  const env = (hook) => ({
    PATH: bin,
    HOME: work,
    LANG: 'C.UTF-8',
    FAKE_JUJU_STATE: stateFile,
    FAKE_JUJU_AGENT: agentSocket,
    CHARM_DIR: charmDir,
    JUJU_CHARM_DIR: charmDir,
    JUJU_CONTEXT_ID: `bench-${hook}`,
    JUJU_DISPATCH_PATH: `hooks/${hook}`,
    JUJU_HOOK_NAME: hook,
    JUJU_UNIT_NAME: `${APP}/0`,
    JUJU_MODEL_NAME: 'bench',
    JUJU_MODEL_UUID: '6e1b0f3c-0000-4000-8000-00000000beef',
    JUJU_VERSION: '3.6.14',
    WEBHOOK_ROUTER_CONTAINERS_DIR: containers,
  })
  const dispatch = (hook) =>
    new Promise((resolveRun, reject) => {
      const started = process.hrtime.bigint()
      // CHARM_CPU_PROF=<dir> runs the bundle directly under --cpu-prof (NODE_OPTIONS refuses it).
      const profile = process.env.CHARM_CPU_PROF
      // It starts from the startup snapshot when the pack built one, as `dispatch` does.
      const blob = join(charmDir, 'dist/charm.blob')
      const start = existsSync(blob)
        ? ['--snapshot-blob', blob]
        : [join(charmDir, 'dist/charm.mjs')]
      const [file, args] = profile
        ? [join(charmDir, 'bin/node'), ['--cpu-prof', `--cpu-prof-dir=${profile}`, ...start]]
        : [join(charmDir, 'dispatch'), []]
      const child = spawn(file, args, {
        env: env(hook),
        cwd: charmDir,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      // A hook that hangs is a finding, not a reason for the bench to hang.
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('close', () => clearTimeout(timer))
      child.stderr.on('data', (chunk) => (stderr += chunk))
      child.on('error', reject)
      child.on('close', (code) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6
        if (code !== 0) reject(new Error(`${hook} exited ${code}: ${stderr}`))
        else resolveRun(ms)
      })
    })
  const state = () => JSON.parse(readFileSync(stateFile, 'utf8'))
  const setConfig = (key, value) => {
    const current = state()
    current.config[key] = value
    writeFileSync(stateFile, JSON.stringify(current))
  }
  const stats = (samples) => {
    const sorted = [...samples].sort((a, b) => a - b)
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
    return { median: at(0.5), p90: at(0.9), min: sorted[0], max: sorted.at(-1) }
  }

  log('settling the unit (config-changed: migrate, layer, replan)…')
  await dispatch('config-changed')
  const settled = state().unitStatus
  if (settled.status !== 'active')
    throw new Error(`unit did not settle: ${JSON.stringify(settled)}`)
  await dispatch('update-status')
  await dispatch('update-status')

  const callsBefore = state().calls.length
  const idle = []
  for (let i = 0; i < RUNS; i++) {
    idle.push(await dispatch('update-status'))
    log(`update-status ${i + 1}/${RUNS}: ${idle.at(-1).toFixed(1)} ms`)
  }
  const allCalls = state().calls
  const toolCalls = (allCalls.length - callsBefore) / RUNS
  const lastRun = allCalls.slice(allCalls.length - toolCalls).map((call) => call.join(' '))

  const restarts = []
  for (let i = 0; i < RESTARTS; i++) {
    setConfig('log-level', i % 2 === 0 ? 'DEBUG' : 'INFO')
    restarts.push(await dispatch('config-changed'))
    log(`config-changed with restart ${i + 1}/${RESTARTS}: ${restarts.at(-1).toFixed(1)} ms`)
  }

  const nodeStart = []
  for (let i = 0; i < 10; i++) {
    const started = process.hrtime.bigint()
    execFileSync(join(charmDir, 'bin/node'), ['-e', '0'])
    nodeStart.push(Number(process.hrtime.bigint() - started) / 1e6)
  }

  const toolCall = []
  for (let i = 0; i < 20; i++) {
    const started = process.hrtime.bigint()
    await new Promise((resolveTool) =>
      spawn(join(bin, 'is-leader'), ['--format=json'], {
        env: env('update-status'),
        stdio: 'ignore',
      }).on('close', resolveTool),
    )
    toolCall.push(Number(process.hrtime.bigint() - started) / 1e6)
  }

  const result = {
    machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, node ${process.version}`,
    hookTools: kind,
    startupSnapshot: existsSync(join(charmDir, 'dist/charm.blob')),
    simulatedToolLatencyMs: latency,
    updateStatus: stats(idle),
    toolCallsPerUpdateStatus: toolCalls,
    toolCallsOfOneUpdateStatus: lastRun,
    restartHook: stats(restarts),
    bareNodeStart: stats(nodeStart),
    oneHookToolCall: stats(toolCall),
    updateStatusOverBareNode: stats(idle).median / stats(nodeStart).median,
  }
  console.log(
    JSON.stringify(
      result,
      (key, value) => (typeof value === 'number' ? Math.round(value * 10) / 10 : value),
      2,
    ),
  )
  await pebble.close()
  await agent?.close()
} finally {
  rmSync(work, { recursive: true, force: true })
}

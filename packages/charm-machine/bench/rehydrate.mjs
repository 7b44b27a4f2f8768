// Rehydrate + transition + persist for a unit whose log holds 100,000 events versus 10 events,
// measured in the same run. Prints a Markdown table for docs/benchmarks.md.
// Run: npm run bench -w packages/charm-machine
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  FileStore,
  applyEvent,
  charmMachine,
  entryForEvent,
  initialSnapshot,
  openUnit,
  provideEffects,
  replayLog,
  toSnapshotRecord,
} from '../dist/index.js'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const FIVE_MINUTES = 5 * 60 * 1000
const facts = {
  leader: true,
  containers: { 'flask-app': { reachable: true } },
  config: { 'log-level': 'INFO', flavours: '- small: [small]\n', 'default-flavour': 'small' },
  integrations: {
    mongodb: { kind: 'database', required: true, status: 'ready' },
    ingress: { kind: 'ingress', required: false, status: 'ready' },
    'secret-storage': { kind: 'secret-storage', required: true, status: 'ready' },
  },
}
const machine = provideEffects(charmMachine, {
  validateConfig: async () => ({ errors: [] }),
  runMigrations: async () => undefined,
  restartWorkload: async () => undefined,
})
const start = Date.parse('2025-01-01T00:00:00Z')
const at = (index) => new Date(start + index * FIVE_MINUTES).toISOString()

/** Writes a unit directory whose log has `count` entries: one reconcile, then update-status. */
async function unitWith(count) {
  const directory = mkdtempSync(join(tmpdir(), `bench-${count}-`))
  const events = [
    { type: 'juju.config-changed', now: at(0), facts },
    { type: 'xstate.done.actor.validateConfig', output: { errors: [] } },
    { type: 'xstate.done.actor.runMigrations', output: null },
    { type: 'xstate.done.actor.restartWorkload', output: null },
  ]
  let snapshot = initialSnapshot(charmMachine)
  const lines = []
  for (let seq = 1; seq <= count; seq++) {
    const event = events[seq - 1] ?? { type: 'juju.update-status', now: at(seq), facts }
    const entry = entryForEvent(seq, event, at(Math.max(0, seq - 4)))
    snapshot = applyEvent(charmMachine, snapshot, event).snapshot
    lines.push(JSON.stringify(entry))
  }
  writeFileSync(join(directory, 'log.jsonl'), `${lines.join('\n')}\n`)
  await new FileStore({ directory }).saveSnapshot(toSnapshotRecord(charmMachine, snapshot, count))
  return directory
}

/** One hook as a fresh process would run it: open the store, rehydrate, dispatch, persist. */
async function hook(directory, index, type) {
  const began = performance.now()
  const unit = await openUnit({ machine, store: new FileStore({ directory }) })
  const result = await unit.dispatch({ type, now: at(200_000 + index), facts })
  const elapsed = performance.now() - began
  if (unit.recovery !== null || result.status.name !== 'active')
    throw new Error('bench unit is not healthy')
  return elapsed
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const ms = (value) => value.toFixed(3)

const small = await unitWith(10)
const large = await unitWith(100_000)
const timings = { small: { status: [], config: [] }, large: { status: [], config: [] } }
for (let warm = 0; warm < 30; warm++) {
  await hook(small, warm, 'juju.update-status')
  await hook(large, warm, 'juju.update-status')
}
// Alternate sizes so drift in the machine's load hits both equally.
for (let index = 0; index < ITERATIONS; index++) {
  for (const [size, directory] of [
    ['small', small],
    ['large', large],
  ]) {
    timings[size].status.push(await hook(directory, index, 'juju.update-status'))
    timings[size].config.push(await hook(directory, index, 'juju.config-changed'))
  }
}

const began = performance.now()
const fullReplay = replayLog(
  charmMachine,
  (await new FileStore({ directory: large }).readLog()).entries,
)
const replayMs = performance.now() - began

const rows = [
  ['update-status (1 entry, no effect)', 'status'],
  ['config-changed (4 entries, 3 effects)', 'config'],
]
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${ITERATIONS} hooks per cell, ${new Date().toISOString()}`,
)
console.log('')
console.log(
  '| hook | 10-event log median (p95) ms | 100,000-event log median (p95) ms | ratio of medians |',
)
console.log('| --- | --- | --- | --- |')
for (const [label, key] of rows) {
  const a = timings.small[key]
  const b = timings.large[key]
  console.log(
    `| ${label} | ${ms(percentile(a, 50))} (${ms(percentile(a, 95))}) | ${ms(percentile(b, 50))} (${ms(percentile(b, 95))}) | ${(percentile(b, 50) / percentile(a, 50)).toFixed(2)}x |`,
  )
}
console.log('')
console.log(
  `Full replay of the ${fullReplay.seq.toLocaleString('en')}-entry log without a checkpoint (the recovery path): ${ms(replayMs)} ms`,
)
rmSync(small, { recursive: true, force: true })
rmSync(large, { recursive: true, force: true })

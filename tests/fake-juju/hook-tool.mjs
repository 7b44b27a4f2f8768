#!/usr/bin/env node
// One hook-tool process: `hook-tool.mjs <tool> [args...]`, backed by the JSON state file named
// in FAKE_JUJU_STATE. Wrapper scripts named after each tool call this with an absolute node
// path, so the charm's own PATH needs no node.
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs'
import { applyToolCall } from './agent.mjs'

const [tool, ...args] = process.argv.slice(2)
const stateFile = process.env.FAKE_JUJU_STATE
if (!stateFile) {
  process.stderr.write('ERROR FAKE_JUJU_STATE is not set\n')
  process.exit(1)
}
const needsStdin = args.includes('-') && args[args.indexOf('-') - 1] === '--file'
const stdin = needsStdin ? readFileSync(0, 'utf8') : ''
// The charm runs independent tools concurrently; each process's read-modify-write of the state
// file holds a lock directory, as the agent (one event loop) does implicitly.
const lock = `${stateFile}.lock`
for (let tries = 0; ; tries++) {
  try {
    mkdirSync(lock)
    break
  } catch (error) {
    if (error.code !== 'EEXIST' || tries > 5000) throw error
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2)
  }
}
let result
try {
  result = applyToolCall(stateFile, tool, args, process.env, stdin)
} finally {
  rmdirSync(lock)
}
process.stdout.write(result.stdout)
process.stderr.write(result.stderr)
process.exitCode = result.code

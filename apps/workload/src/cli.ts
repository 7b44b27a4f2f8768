#!/usr/bin/env node
// The process edge: argv, env, stdio and signals in; exit code out. Everything else is in commands.
import { createRequire } from 'node:module'
import { commands } from './commands/index.js'
import { guardOutput } from './log-output.js'
import { runCli } from './run-cli.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

const stop = new AbortController()
let signals = 0
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1
  if (signals === 1) {
    stop.abort(signal)
    return
  }
  // A second signal means the operator does not want to wait for the drain.
  stderr.writeLine(`webhook-router: ${signal} again, exiting without draining`)
  process.exit(1)
}
// A closed pipe or a full disk must cost log lines, never the process (see log-output.ts).
const stdout = guardOutput(process.stdout)
const stderr = guardOutput(process.stderr)
process.on('SIGTERM', onSignal)
process.on('SIGINT', onSignal)

const code = await runCli(
  {
    argv: process.argv.slice(2),
    env: process.env,
    stdout: stdout.writeLine,
    stderr: stderr.writeLine,
    stopSignal: stop.signal,
    outputFailures: () => stdout.failedWrites() + stderr.failedWrites(),
  },
  { commands, defaultCommand: 'serve', version },
)
// Pipes and files are written synchronously on Linux, so nothing printed is lost by exiting now;
// exiting explicitly stops stray handles (driver pools, monitors) from keeping the process alive.
process.exit(code)

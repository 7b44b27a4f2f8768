#!/usr/bin/env node
// One hook-tool process: `hook-tool.mjs <tool> [args...]`, backed by the JSON state file named
// in FAKE_JUJU_STATE. Wrapper scripts named after each tool call this with an absolute node
// path, so the charm's own PATH needs no node.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { runTool } from './tools.mjs'

const [tool, ...args] = process.argv.slice(2)
const stateFile = process.env.FAKE_JUJU_STATE
if (!stateFile) {
  process.stderr.write('ERROR FAKE_JUJU_STATE is not set\n')
  process.exit(1)
}
const state = JSON.parse(readFileSync(stateFile, 'utf8'))
const needsStdin = args.includes('-') && (tool === 'relation-set' || tool === 'state-set')
const stdin = needsStdin ? readFileSync(0, 'utf8') : ''
const env = { ...process.env, __readFile: (path) => readFileSync(path, 'utf8') }
const result = runTool(state, tool, args, env, stdin)
const temporary = `${stateFile}.${process.pid}`
writeFileSync(temporary, JSON.stringify(state, null, 1))
renameSync(temporary, stateFile)
process.stdout.write(result.stdout)
process.stderr.write(result.stderr)
process.exitCode = result.code

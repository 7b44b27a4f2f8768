// The fake Juju unit agent: serves hook-tool requests from the native client over a unix
// socket, each one applied to the JSON state file (re-read per call, so a test can edit it
// between hooks). Without a C compiler, tools fall back to one node process per call.
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TOOL_NAMES, runTool } from './tools.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))

function decodeRequest(buffer) {
  let offset = 0
  const u32 = () => {
    const value = buffer.readUInt32LE(offset)
    offset += 4
    return value
  }
  const text = () => {
    const size = u32()
    const value = buffer.subarray(offset, offset + size).toString('utf8')
    offset += size
    return value
  }
  const argc = u32()
  const argv = Array.from({ length: argc }, text)
  const variables = u32()
  const env = {}
  for (let i = 0; i < variables; i++) {
    const entry = text()
    const equals = entry.indexOf('=')
    env[entry.slice(0, equals)] = entry.slice(equals + 1)
  }
  const stdin = text()
  return { tool: argv[0], args: argv.slice(1), env, stdin }
}

function encodeResponse({ code, stdout, stderr }) {
  const out = Buffer.from(stdout)
  const err = Buffer.from(stderr)
  const head = Buffer.alloc(8)
  head.writeInt32LE(code, 0)
  head.writeUInt32LE(out.length, 4)
  const errHead = Buffer.alloc(4)
  errHead.writeUInt32LE(err.length, 0)
  return Buffer.concat([head, out, errHead, err])
}

/** Applies one tool call to the state file and returns what the tool prints. */
export function applyToolCall(stateFile, tool, args, env, stdin) {
  const state = JSON.parse(readFileSync(stateFile, 'utf8'))
  const result = runTool(
    state,
    tool,
    args,
    { ...env, __readFile: (path) => readFileSync(path, 'utf8') },
    stdin,
  )
  const temporary = `${stateFile}.tmp`
  writeFileSync(temporary, JSON.stringify(state, null, 1))
  renameSync(temporary, stateFile)
  return result
}

/** Starts the agent on `socketPath`; resolves to `{ close() }`. */
export async function startFakeAgent({ stateFile, socketPath }) {
  const server = createServer((socket) => {
    const chunks = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => socket.destroy())
    socket.on('end', () => {
      let response
      try {
        const request = decodeRequest(Buffer.concat(chunks))
        response = applyToolCall(stateFile, request.tool, request.args, request.env, request.stdin)
      } catch (error) {
        response = { code: 1, stdout: '', stderr: `ERROR fake agent: ${error.message}\n` }
      }
      socket.end(encodeResponse(response))
    })
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, resolve)
  })
  return { close: () => new Promise((resolve) => server.close(() => resolve())) }
}

/** Compiles the native client into `dir`; `undefined` when no C compiler is available. */
export function buildHookToolClient(dir) {
  const output = join(dir, 'jujuc')
  if (existsSync(output)) return output
  try {
    execFileSync('cc', ['-O2', '-o', output, join(HERE, 'hook-tool-client.c')], { stdio: 'pipe' })
    return output
  } catch {
    return undefined
  }
}

/**
 * Puts every hook tool in `binDir`: symlinks to the native client when there is one, else
 * shell wrappers running `hook-tool.mjs` with this node. Returns which kind it installed.
 */
export function installHookTools(binDir, client) {
  for (const tool of TOOL_NAMES) {
    const path = join(binDir, tool)
    if (client) symlinkSync(client, path)
    else {
      writeFileSync(
        path,
        `#!/bin/sh\nexec '${process.execPath}' '${join(HERE, 'hook-tool.mjs')}' '${tool}' "$@"\n`,
      )
      chmodSync(path, 0o755)
    }
  }
  return client ? 'native' : 'node'
}

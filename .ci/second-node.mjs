// Prepares the second Node.js the CI runs the suite on: the charm's pinned runtime
// (apps/charm/scripts/runtime.mjs), plus better-sqlite3 (the only native module) built for it
// against the headers that runtime ships (npm_config_nodedir), in a prefix cached outside the
// clone, so node_modules stays built for the machine's Node. Prints shell assignments for
// .ci/run: SECOND_NODE, SECOND_NODE_VERSION, BETTER_SQLITE3_DIR.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureRuntime } from '../apps/charm/scripts/runtime.mjs'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const log = (line) => process.stderr.write(`second node: ${line}\n`)

const runtime = ensureRuntime({ log })
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'))
const sqliteVersion = lock.packages['node_modules/better-sqlite3']?.version
if (typeof sqliteVersion !== 'string') throw new Error('better-sqlite3 is not in package-lock.json')

const cache =
  process.env['WEBHOOK_ROUTER_TOOLS_CACHE'] ||
  join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'webhook-router', 'test-tools')
const prefix = join(cache, `better-sqlite3-${sqliteVersion}-node-${runtime.version}`)
const module = join(prefix, 'node_modules', 'better-sqlite3')
const done = join(prefix, '.installed')
if (!existsSync(done)) {
  const started = Date.now()
  rmSync(prefix, { recursive: true, force: true })
  mkdirSync(prefix, { recursive: true })
  writeFileSync(join(prefix, 'package.json'), '{"private": true}\n')
  execFileSync(
    'npm',
    [
      'install',
      `better-sqlite3@${sqliteVersion}`,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    {
      cwd: prefix,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        // The install script runs under this Node and builds against its headers.
        PATH: `${dirname(runtime.node)}:${process.env['PATH'] ?? ''}`,
        npm_config_nodedir: runtime.nodedir,
      },
    },
  )
  // Proof it loads into that Node before the cache says so.
  execFileSync(runtime.node, ['-e', `new (require(${JSON.stringify(module)}))(':memory:')`])
  writeFileSync(done, `${new Date().toISOString()}\n`)
  log(`better-sqlite3 ${sqliteVersion} built for ${runtime.version} in ${Date.now() - started} ms`)
}
console.log(`SECOND_NODE='${runtime.node}'`)
console.log(`SECOND_NODE_VERSION='${runtime.version}'`)
console.log(`BETTER_SQLITE3_DIR='${module}'`)

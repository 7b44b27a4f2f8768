import type { ToolRunner } from '@webhook-router/charm-machine/juju'

/** Tools whose answer cannot change within one hook unless the charm itself writes. */
const READS = new Set([
  'is-leader',
  'config-get',
  'relation-ids',
  'relation-list',
  'relation-get',
  'network-get',
  'action-get',
  'secret-get',
])
/** Which cached reads a write makes stale. */
const INVALIDATES: Record<string, string[]> = {
  'relation-set': ['relation-get'],
  'secret-set': ['secret-get'],
  'secret-add': ['secret-get'],
  'secret-remove': ['secret-get'],
}

/**
 * Wraps a hook-tool runner so that a read asked twice in one dispatch runs once. Each hook tool
 * is a process, and spawning one is the biggest cost of a hook; the runtime and the charm both
 * read leadership, config and relation ids. Failed reads are not cached, and writes drop the
 * reads they affect. The cache lives as long as the runner, i.e. one dispatch.
 *
 * @example
 * ```ts
 * const tools = createHookTools(cachingToolRunner(spawnToolRunner(process.env)))
 * ```
 */
export function cachingToolRunner(run: ToolRunner): ToolRunner {
  const cache = new Map<string, ReturnType<ToolRunner>>()
  return (argv, stdin) => {
    const tool = argv[0] ?? ''
    for (const stale of INVALIDATES[tool] ?? []) {
      for (const key of cache.keys()) if (key.startsWith(`${stale}\0`)) cache.delete(key)
    }
    if (!READS.has(tool) || stdin !== undefined) return run(argv, stdin)
    const key = argv.join('\0')
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const pending = run(argv).then((output) => {
      if (output.code !== 0) cache.delete(key)
      return output
    })
    cache.set(key, pending)
    return pending
  }
}

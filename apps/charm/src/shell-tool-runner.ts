import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { ToolOutput, ToolRunner } from '@webhook-router/charm-machine/juju'

const DONE = '__webhook_router_tool_done__'

/** Quotes one word for `/bin/sh`: inside single quotes only `'` itself needs escaping. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}

/**
 * A hook-tool runner that runs every tool through one persistent `/bin/sh`. Forking the charm's
 * Node process costs several milliseconds per call (more under load), forking a small shell far
 * less, and a hook makes about a dozen calls. Each call is a background job of that shell, so
 * up to `concurrency` calls (default 3) run at once without a second fork of Node; each job
 * writes its stdout and stderr to its own files and reports its exit code on the shell's stdout
 * in one line (one `write`, which a pipe keeps whole). If the shell dies, this and later calls
 * fall back to `fallback`. The shell does not keep the process alive between calls; its scratch
 * directory (under `tmpRoot`, default the OS temp dir) is removed when the process exits.
 *
 * @example
 * ```ts
 * const tools = createHookTools(shellToolRunner(process.env, spawnToolRunner(process.env)))
 * ```
 */
export function shellToolRunner(
  env: NodeJS.ProcessEnv,
  fallback: ToolRunner,
  options: { readonly tmpRoot?: string; readonly concurrency?: number } = {},
): ToolRunner {
  const limit = Math.max(1, options.concurrency ?? 3)
  const pending = new Map<number, (code: number) => void>()
  const waiting: (() => void)[] = []
  let shell: ChildProcessByStdio<Writable, Readable, null> | undefined
  let directory = ''
  let broken = false
  let running = 0
  let nextId = 0

  const start = (): ChildProcessByStdio<Writable, Readable, null> => {
    const root = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'charm-tools-'))
    directory = root
    process.once('exit', () => rmSync(root, { recursive: true, force: true }))
    const child = spawn('/bin/sh', [], { env, stdio: ['pipe', 'pipe', 'ignore'] })
    let buffered = ''
    const done = new RegExp(`^${DONE} (\\d+) (\\d+)$`)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const match = done.exec(line)
        if (match === null) continue
        const id = Number(match[1])
        pending.get(id)?.(Number(match[2]))
        pending.delete(id)
      }
    })
    const die = (): void => {
      broken = true
      for (const resolve of pending.values()) resolve(-1)
      pending.clear()
    }
    child.on('error', die)
    child.on('exit', die)
    child.stdin.on('error', die)
    return child
  }

  // The shell must not keep the process alive while no call is waiting on it.
  const setRef = (child: ChildProcessByStdio<Writable, Readable, null>, on: boolean): void => {
    const handles = [child, child.stdout, child.stdin] as { ref?: () => void; unref?: () => void }[]
    for (const handle of handles) (on ? handle.ref : handle.unref)?.call(handle)
  }

  const slot = async (): Promise<void> => {
    if (running < limit) {
      running++
      return
    }
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  const release = (): void => {
    const next = waiting.shift()
    if (next !== undefined) next()
    else running--
  }

  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return ''
    }
  }

  const runOne = async (argv: readonly string[], stdin?: string): Promise<ToolOutput> => {
    if (broken) return fallback(argv, stdin)
    shell ??= start()
    const child = shell
    const id = nextId++
    const file = (suffix: string): string => join(directory, `${id}.${suffix}`)
    const input = stdin === undefined ? '/dev/null' : file('in')
    if (stdin !== undefined) writeFileSync(input, stdin)
    const command =
      `{ ${argv.map(shellQuote).join(' ')} <${shellQuote(input)} >${shellQuote(file('out'))}` +
      ` 2>${shellQuote(file('err'))}; echo "${DONE} ${id} $?"; } &\n`
    setRef(child, true)
    const code = await new Promise<number>((resolve) => {
      pending.set(id, resolve)
      child.stdin.write(command)
    })
    if (pending.size === 0) setRef(child, false)
    if (code < 0) return fallback(argv, stdin)
    return { code, stdout: read(file('out')), stderr: read(file('err')) }
  }

  return async (argv, stdin) => {
    await slot()
    try {
      return await runOne(argv, stdin)
    } finally {
      release()
    }
  }
}

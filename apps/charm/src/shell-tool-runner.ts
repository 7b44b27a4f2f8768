import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { ToolOutput, ToolRunner } from '@webhook-router/charm-machine/juju'

const DONE = '__webhook_router_tool_done__'

/** Quotes one word for `/bin/sh`: inside single quotes only `'` itself needs escaping. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}

/** One persistent shell and the scratch files its calls write to. */
interface Shell {
  readonly child: ChildProcessByStdio<Writable, Readable, null>
  readonly directory: string
  pending: ((code: number) => void) | undefined
}

/**
 * A hook-tool runner that runs every tool through persistent `/bin/sh` processes. Forking the
 * charm's Node process costs several milliseconds per call, forking a small shell far less, and
 * a hook makes about a dozen calls. Up to `shells` calls (default 3) run at once, each shell
 * started on first need; stdout and stderr are captured in per-shell files. If a shell dies,
 * this and later calls fall back to `fallback`. The shells do not keep the process alive
 * between calls; their scratch directory (under `tmpRoot`, default the OS temp dir) is removed
 * when the process exits.
 *
 * @example
 * ```ts
 * const tools = createHookTools(shellToolRunner(process.env, spawnToolRunner(process.env)))
 * ```
 */
export function shellToolRunner(
  env: NodeJS.ProcessEnv,
  fallback: ToolRunner,
  options: { readonly tmpRoot?: string; readonly shells?: number } = {},
): ToolRunner {
  const limit = Math.max(1, options.shells ?? 3)
  const idle: Shell[] = []
  const waiting: ((shell: Shell | undefined) => void)[] = []
  let started = 0
  let broken = false
  let scratch: string | undefined

  const start = (): Shell => {
    if (scratch === undefined) {
      const root = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'charm-tools-'))
      scratch = root
      process.once('exit', () => rmSync(root, { recursive: true, force: true }))
    }
    const directory = join(scratch, String(started++))
    mkdirSync(directory)
    const child = spawn('/bin/sh', [], { env, stdio: ['pipe', 'pipe', 'ignore'] })
    const shell: Shell = { child, directory, pending: undefined }
    let buffered = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const match = new RegExp(`${DONE} (\\d+)\\n`).exec(buffered)
      if (match === null) return
      buffered = buffered.slice(match.index + match[0].length)
      shell.pending?.(Number(match[1]))
    })
    const die = (): void => {
      broken = true
      shell.pending?.(-1)
      for (const next of waiting.splice(0)) next(undefined)
    }
    child.on('error', die)
    child.on('exit', die)
    child.stdin.on('error', die)
    return shell
  }

  /** An idle shell, a new one while under the limit, or the next one released. */
  const acquire = (): Promise<Shell | undefined> => {
    if (broken) return Promise.resolve(undefined)
    const ready = idle.pop()
    if (ready !== undefined) return Promise.resolve(ready)
    if (started < limit) return Promise.resolve(start())
    return new Promise((resolve) => waiting.push(resolve))
  }
  const release = (shell: Shell): void => {
    const next = waiting.shift()
    if (next !== undefined) next(shell)
    else idle.push(shell)
  }

  const setRef = (shell: Shell, referenced: boolean): void => {
    const streams = [shell.child, shell.child.stdout, shell.child.stdin] as {
      ref?: () => void
      unref?: () => void
    }[]
    for (const stream of streams) (referenced ? stream.ref : stream.unref)?.call(stream)
  }

  const runOn = async (shell: Shell, argv: readonly string[], stdin?: string) => {
    const input = stdin === undefined ? '/dev/null' : join(shell.directory, 'in')
    if (stdin !== undefined) writeFileSync(input, stdin)
    const out = join(shell.directory, 'out')
    const err = join(shell.directory, 'err')
    const command =
      `${argv.map(shellQuote).join(' ')} <${shellQuote(input)} >${shellQuote(out)} 2>${shellQuote(err)}` +
      `; echo "${DONE} $?"\n`
    setRef(shell, true)
    const code = await new Promise<number>((resolve) => {
      shell.pending = resolve
      shell.child.stdin.write(command)
    })
    shell.pending = undefined
    setRef(shell, false)
    return { code, out, err }
  }

  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return ''
    }
  }

  return async (argv, stdin) => {
    const shell = await acquire()
    if (shell === undefined) return fallback(argv, stdin)
    const { code, out, err } = await runOn(shell, argv, stdin)
    if (code < 0) return fallback(argv, stdin)
    const output: ToolOutput = { code, stdout: read(out), stderr: read(err) }
    release(shell)
    return output
  }
}

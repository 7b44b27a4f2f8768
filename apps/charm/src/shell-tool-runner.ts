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
 * A hook-tool runner that starts one `/bin/sh` for the whole dispatch and runs every tool
 * through it. Forking the charm's Node process costs several milliseconds per call, forking a
 * small shell far less, and a hook makes about twenty calls. Calls run one at a time, with
 * stdout and stderr captured in files; if the shell dies, the rest fall back to `fallback`.
 * The shell does not keep the process alive between calls; its scratch directory (under
 * `tmpRoot`, default the OS temp dir) is removed when the process exits.
 *
 * @example
 * ```ts
 * const tools = createHookTools(shellToolRunner(process.env, spawnToolRunner(process.env)))
 * ```
 */
export function shellToolRunner(
  env: NodeJS.ProcessEnv,
  fallback: ToolRunner,
  options: { readonly tmpRoot?: string } = {},
): ToolRunner {
  let shell: ChildProcessByStdio<Writable, Readable, null> | undefined
  let broken = false
  let directory: string | undefined
  let queue: Promise<unknown> = Promise.resolve()
  let pending: ((code: number) => void) | undefined
  let buffered = ''

  const start = (): ChildProcessByStdio<Writable, Readable, null> => {
    directory = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'charm-tools-'))
    const dir = directory
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const child = spawn('/bin/sh', [], { env, stdio: ['pipe', 'pipe', 'ignore'] })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const match = new RegExp(`${DONE} (\\d+)\\n`).exec(buffered)
      if (match === null) return
      buffered = buffered.slice(match.index + match[0].length)
      pending?.(Number(match[1]))
    })
    const die = (): void => {
      broken = true
      pending?.(-1)
    }
    child.on('error', die)
    child.on('exit', die)
    child.stdin.on('error', die)
    return child
  }

  const idle = (child: ChildProcessByStdio<Writable, Readable, null>): void => {
    child.unref()
    ;(child.stdout as Readable & { unref?: () => void }).unref?.()
    ;(child.stdin as Writable & { unref?: () => void }).unref?.()
  }
  const busy = (child: ChildProcessByStdio<Writable, Readable, null>): void => {
    child.ref()
    ;(child.stdout as Readable & { ref?: () => void }).ref?.()
    ;(child.stdin as Writable & { ref?: () => void }).ref?.()
  }

  const runOne = async (argv: readonly string[], stdin?: string): Promise<ToolOutput> => {
    if (broken) return fallback(argv, stdin)
    shell ??= start()
    const child = shell
    const dir = directory ?? ''
    const input = stdin === undefined ? '/dev/null' : join(dir, 'in')
    if (stdin !== undefined) writeFileSync(input, stdin)
    const out = join(dir, 'out')
    const err = join(dir, 'err')
    const command =
      `${argv.map(shellQuote).join(' ')} <${shellQuote(input)} >${shellQuote(out)} 2>${shellQuote(err)}` +
      `; echo "${DONE} $?"\n`
    busy(child)
    const code = await new Promise<number>((resolve) => {
      pending = resolve
      child.stdin.write(command)
    })
    pending = undefined
    idle(child)
    if (code < 0) return fallback(argv, stdin)
    const read = (path: string): string => {
      try {
        return readFileSync(path, 'utf8')
      } catch {
        return ''
      }
    }
    return { code, stdout: read(out), stderr: read(err) }
  }

  return (argv, stdin) => {
    const result = queue.then(() => runOne(argv, stdin))
    queue = result.catch(() => undefined)
    return result
  }
}

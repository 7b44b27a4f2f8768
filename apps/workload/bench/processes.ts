import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

export interface Started {
  readonly child: ChildProcess
  readonly port: number
}

/**
 * Spawns `script ...args` and waits until `findPort` sees its port in the output. A `.js` script
 * runs under this `node`; an executable (the `webhook-router` bin) runs as installed, with the
 * flags of its own `#!` line.
 */
export function startProcess(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logFile: string | undefined,
  findPort: (line: string) => number | undefined,
  options: { readonly executable?: boolean } = {},
): Promise<Started> {
  // Logs go to a file, not a pipe, so the benchmark does not spend CPU reading them.
  const fd = logFile ? openSync(logFile, 'a') : undefined
  const [command, argv] = options.executable
    ? [script, [...args]]
    : [process.execPath, [script, ...args]]
  const child = spawn(command, argv, {
    env,
    stdio: ['ignore', fd ?? 'pipe', 'pipe'],
  })
  if (fd !== undefined) closeSync(fd)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start in 15 s`)), 15_000)
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.once('exit', (code) => fail(new Error(`${script} exited ${code}: ${stderr.trim()}`)))
    const found = (port: number) => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({ child, port })
    }
    if (child.stdout) {
      const lines = createInterface({ input: child.stdout })
      lines.on('line', (line) => {
        const port = findPort(line)
        if (port !== undefined) found(port)
      })
      return
    }
    const poll = setInterval(() => {
      for (const line of readFileSync(logFile ?? '', 'utf8').split('\n')) {
        const port = findPort(line)
        if (port !== undefined) {
          clearInterval(poll)
          found(port)
          return
        }
      }
    }, 50)
    child.once('exit', () => clearInterval(poll))
  })
}

/** Sends SIGTERM and resolves with the exit code. */
export function stopProcess(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once('exit', (code) => resolve(code))
    child.kill('SIGTERM')
  })
}

/** Peak resident set size of a live process in MiB (Linux `VmHWM`), or undefined elsewhere. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
    return kib === undefined ? undefined : Number(kib) / 1024
  } catch {
    return undefined
  }
}

/** CPU time a process has used so far, in µs: all its threads, and its main thread alone. */
export interface CpuTimes {
  readonly processUs: number
  readonly mainThreadUs: number
}

// Linux's clock ticks per second for /proc stat times (USER_HZ); 100 on every common kernel.
const TICK_US = 10_000

function statTicks(path: string): number {
  const stat = readFileSync(path, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** Reads {@link CpuTimes} from /proc; `undefined` where there is no /proc (not Linux). */
export function cpuTimes(pid: number | undefined): CpuTimes | undefined {
  try {
    return {
      processUs: statTicks(`/proc/${pid}/stat`) * TICK_US,
      mainThreadUs: statTicks(`/proc/${pid}/task/${pid}/stat`) * TICK_US,
    }
  } catch {
    return undefined
  }
}

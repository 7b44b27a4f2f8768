// Runs the Python side of the interop tests (tests/python/) under a given interpreter.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toolPaths } from '../tools/provision.mjs'

export const pythonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'python')

/** The interpreters the kombu tests run under: the consumer's pins, and Debian's own kombu. */
export const pythons = {
  venv: { name: 'kombu 5.6.2 (venv)', path: () => toolPaths().python },
  debian: { name: 'Debian kombu 5.2.4', path: () => '/usr/bin/python3' },
} as const

export interface PythonResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `tests/python/<script>`; resolves whatever it exits with. */
export function runScript(
  python: string,
  script: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(pythonDir, script), ...args], { timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Like {@link runScript}, but rejects with its stderr unless it exits 0. */
export async function runScriptOk(
  python: string,
  script: string,
  args: readonly string[],
): Promise<string> {
  const result = await runScript(python, script, args)
  if (result.code !== 0) {
    throw new Error(`${script} ${args[0] ?? ''} exited ${result.code}: ${result.stderr.trim()}`)
  }
  return result.stdout
}

/** One job as the github-runner consumer read it (tests/python/consumer.py). */
export interface ConsumedJob {
  readonly flavour: string
  readonly payload: string
  readonly labels: string[]
  readonly url: string
}

/**
 * Reads exactly `counts[flavour]` jobs of each flavour the way the github-runner consumer does
 * (venv kombu, `JobDetails.parse_raw`, `ack`), and fails if a flavour holds more; with
 * `atLeast`, reads whatever more there is as well.
 */
export async function consumeJobs(
  uri: string,
  counts: Record<string, number>,
  { atLeast = false } = {},
): Promise<ConsumedJob[]> {
  const more = atLeast ? '+' : ''
  const wanted = Object.entries(counts).map(([flavour, count]) => `${flavour}=${count}${more}`)
  const stdout = await runScriptOk(toolPaths().python, 'consumer.py', ['read', uri, ...wanted])
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ConsumedJob)
}

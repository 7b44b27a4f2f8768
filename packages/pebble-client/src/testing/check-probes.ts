/**
 * One run of a check (contract §3.2, §7): an HTTP GET that must answer 2xx, a TCP connect, or a
 * command that must exit 0. Failures are worded as Pebble logs them.
 */
import { spawn } from 'node:child_process'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import { connect } from 'node:net'
import { formatGoDuration, parseGoDuration } from '../duration.js'
import type { CheckConfig, ServiceConfig } from '../layer.js'
import { splitShellWords } from '../shell-words.js'
import { buildEnvironment, exitCodeOf, lookPath, resolveIdentity } from './process-env.js'

/** Runs the check once; `undefined` on success, else the failure message. */
export async function runProbe(
  config: CheckConfig,
  services: Readonly<Record<string, ServiceConfig>>,
  environment: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const timeoutMs = Math.min(durationOf(config.timeout, 3000), durationOf(config.period, 10_000))
  try {
    if (config.http)
      return await httpCheck(config.http.url ?? '', config.http.headers ?? {}, timeoutMs)
    if (config.tcp)
      return await tcpCheck(config.tcp.host || 'localhost', config.tcp.port ?? 0, timeoutMs)
    if (config.exec) return await execProbe(config.exec, services, environment, timeoutMs)
    return 'check has no type'
  } catch (error) {
    return (error as Error).message
  }
}

function execProbe(
  exec: NonNullable<CheckConfig['exec']>,
  services: Readonly<Record<string, ServiceConfig>>,
  environment: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<string | undefined> {
  const context = exec['service-context'] ? services[exec['service-context']] : undefined
  const runAs = resolveIdentity({
    user: exec.user ?? context?.user,
    userId: exec['user-id'] ?? context?.['user-id'],
    group: exec.group ?? context?.group,
    groupId: exec['group-id'] ?? context?.['group-id'],
  })
  const env = buildEnvironment(environment, runAs, {
    ...context?.environment,
    ...exec.environment,
  })
  const [file = '', ...args] = splitShellWords(exec.command ?? '')
  const executable = lookPath(file, env['PATH'])
  if (!executable) return Promise.resolve(`exec: "${file}": executable file not found in $PATH`)
  const cwd = exec['working-dir'] ?? context?.['working-dir']
  return new Promise((resolve) => {
    const child = spawn(executable, args, {
      env,
      ...(cwd ? { cwd } : {}),
      ...(runAs.uid === undefined ? {} : { uid: runAs.uid }),
      ...(runAs.gid === undefined ? {} : { gid: runAs.gid }),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    })
    let output = ''
    const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-1024))
    child.stdout.on('data', append)
    child.stderr.on('data', append)
    child.once('error', (error) => resolve(error.message))
    let timedOut = false
    child.once('exit', (_code, signal) => (timedOut = signal === 'SIGKILL' && child.killed))
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(undefined)
      if (timedOut) return resolve(timedOutAfter(timeoutMs))
      const status = `exit status ${exitCodeOf(code, signal)}`
      resolve(output.trim() ? `${status}; output:\n${output.trim()}` : status)
    })
  })
}

/** GETs the URL; 2xx is success (§3.2). `node:http`, not fetch, which refuses some ports. */
function httpCheck(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return resolve(`parse "${url}": invalid URL`)
    }
    const get =
      parsed.protocol === 'https:' ? httpsGet : parsed.protocol === 'http:' ? httpGet : undefined
    if (!get)
      return resolve(
        `Get "${url}": unsupported protocol scheme "${parsed.protocol.replace(':', '')}"`,
      )
    const request = get(parsed, { headers, timeout: timeoutMs }, (response) => {
      response.resume()
      response.once('end', () => {
        const status = response.statusCode ?? 0
        resolve(status >= 200 && status < 300 ? undefined : `non-2xx status code ${status}`)
      })
    })
    request.once('timeout', () => {
      request.destroy()
      resolve(timedOutAfter(timeoutMs))
    })
    request.once('error', (error: NodeJS.ErrnoException) =>
      resolve(`Get "${url}": ${goNetError(error)}`),
    )
  })
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      resolve(timedOutAfter(timeoutMs))
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(goNetError(error, `${host}:${port}`)),
    )
  })
}

const GO_ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  ECONNRESET: 'read: connection reset by peer',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host',
}

/** Node's socket errors in the words of Go's net package, as Pebble's check logs show them. */
function goNetError(
  error: NodeJS.ErrnoException & { address?: string; port?: number },
  target?: string,
): string {
  const address = target ?? (error.address ? `${error.address}:${error.port ?? ''}` : '')
  const text = GO_ERRNO[error.code ?? ''] ?? error.message
  return address ? `dial tcp ${address}: ${text}` : text
}

/** Pebble words any check that ran past its timeout the same way. */
function timedOutAfter(timeoutMs: number): string {
  return `check timed out after ${formatGoDuration(timeoutMs)}`
}

function durationOf(text: string | undefined, fallbackMs: number): number {
  return text === undefined ? fallbackMs : (parseGoDuration(text) ?? fallbackMs)
}

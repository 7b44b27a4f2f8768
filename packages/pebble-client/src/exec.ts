/**
 * Client side of exec (contract §9): `POST /v1/exec`, then the `control`, `stdio` and `stderr`
 * websockets, then wait for the change and read the exit code from `tasks[0].data`.
 */
import * as v from 'valibot'
import type WebSocket from 'ws'
import { ChangeError, ConnectionError, ExecError, ProtocolError } from './errors.js'
import { formatRequestTimeout } from './duration.js'
import { ExecResultSchema, type Change } from './wire.js'
import type { PebbleClient } from './client.js'

/** Options of {@link PebbleClient.exec}; names follow `ops`' `Client.exec`. */
export interface ExecOptions {
  /** Inherit environment, user/group and working dir from this service (§9.1). */
  serviceContext?: string
  environment?: Record<string, string>
  workingDir?: string
  /** Seconds before Pebble kills the command (the change then fails). No timeout when unset. */
  timeout?: number
  userId?: number
  user?: string
  groupId?: number
  group?: string
  /** Sent to the command's standard input, which is then closed. */
  stdin?: string | Uint8Array
  /** Merge stderr into stdout, as a terminal would (default false: separate streams). */
  combineStderr?: boolean
  /** Aborting sends SIGTERM to the command through the control websocket, also when it was
   * aborted before the command started. */
  signal?: AbortSignal
}

/** What a finished command produced. `stderr` is empty with `combineStderr`. */
export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
  /** The exec change as Pebble finished it. */
  change: Change
}

const END = JSON.stringify({ command: 'end' })

/** @internal Runs one command; see {@link PebbleClient.exec}. */
export async function execCommand(
  client: PebbleClient,
  command: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const splitStderr = !options.combineStderr
  const body = {
    command,
    'service-context': options.serviceContext,
    environment: options.environment,
    'working-dir': options.workingDir,
    timeout: options.timeout === undefined ? undefined : formatRequestTimeout(options.timeout),
    'user-id': options.userId,
    user: options.user,
    'group-id': options.groupId,
    group: options.group,
    'split-stderr': splitStderr,
  }
  const response = await client.request('POST', '/v1/exec', { body })
  const parsed = v.safeParse(ExecResultSchema, response.result)
  if (!parsed.success || response.change === undefined) {
    throw new ProtocolError('exec answered without a task id or change id')
  }
  const changeId = response.change
  const taskId = parsed.output['task-id']
  const base = `/v1/tasks/${encodeURIComponent(taskId)}/websocket`

  let sockets: WebSocket[]
  try {
    // Same order as ops: control first, then stdio, then stderr (§9.2).
    const control = await client.transport.openWebSocket(`${base}/control`)
    const stdio = await client.transport.openWebSocket(`${base}/stdio`)
    const stderr = splitStderr ? await client.transport.openWebSocket(`${base}/stderr`) : undefined
    sockets = stderr ? [control, stdio, stderr] : [control, stdio]
  } catch (error) {
    const change = await client.waitChange(changeId, { timeout: 10 }).catch(() => undefined)
    if (change?.err !== undefined) throw new ChangeError(change.err, change)
    throw error instanceof ConnectionError ? error : new ConnectionError(String(error))
  }
  const [control, stdio, stderrSocket] = sockets as [WebSocket, WebSocket, WebSocket?]
  try {
    const stdout = collect(stdio)
    const stderr = stderrSocket ? collect(stderrSocket) : Promise.resolve(Buffer.alloc(0))
    if (options.stdin !== undefined && options.stdin.length > 0)
      stdio.send(Buffer.from(options.stdin))
    stdio.send(END)
    const onAbort = () =>
      control.send(JSON.stringify({ command: 'signal', signal: { name: 'SIGTERM' } }))
    // Aborted while the websockets were connecting: Pebble queues the signal until it has a pid.
    if (options.signal?.aborted) onAbort()
    else options.signal?.addEventListener('abort', onAbort, { once: true })
    const waitTimeout = options.timeout === undefined ? Infinity : options.timeout + 1
    const change = await client.waitChange(changeId, { timeout: waitTimeout })
    options.signal?.removeEventListener('abort', onAbort)
    if (change.err !== undefined) throw new ChangeError(change.err, change)
    const [out, err] = await Promise.all([stdout, stderr])
    const exitCode = exitCodeOf(change)
    const result = { exitCode, stdout: out.toString('utf8'), stderr: err.toString('utf8'), change }
    if (exitCode !== 0) throw new ExecError(command, exitCode, result.stdout, result.stderr)
    return result
  } finally {
    // Pebble stops reading stdio and stderr once the command ended and never answers a close
    // frame, so a close handshake would keep the process alive for ws's 30 s close timeout.
    for (const socket of sockets) socket.terminate()
  }
}

/** Reads binary frames until the `{"command":"end"}` text frame or the socket closes (§9.2). */
function collect(socket: WebSocket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const finish = () => resolve(Buffer.concat(chunks))
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) chunks.push(Buffer.from(data))
      else if (isEnd(data)) finish()
    })
    socket.on('close', finish)
    socket.on('error', finish)
  })
}

function isEnd(data: Buffer): boolean {
  try {
    return (JSON.parse(data.toString('utf8')) as { command?: unknown }).command === 'end'
  } catch {
    return false
  }
}

function exitCodeOf(change: Change): number {
  const code = change.tasks?.[0]?.data?.['exit-code']
  if (typeof code !== 'number') throw new ProtocolError(`exec change ${change.id} has no exit code`)
  return code
}

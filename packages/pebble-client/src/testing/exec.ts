/**
 * The double's exec: `POST /v1/exec` creates the change, the command starts once its `stdio`
 * (and `stderr`) websockets connect, and the exit code lands in `tasks[0].data` (contract §9).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import * as v from 'valibot'
import { WebSocketServer, type WebSocket } from 'ws'
import { formatGoDuration, parseGoDuration } from '../duration.js'
import type { Layer } from '../layer.js'
import type { ChangeRecord, ChangeStore, TaskRecord } from './changes.js'
import { firstIssue, HttpError } from './http-error.js'
import {
  buildEnvironment,
  exitCodeOf,
  isDirectory,
  killGroup,
  lookPath,
  resolveIdentity,
} from './process-env.js'

export interface ExecManagerOptions {
  changes: ChangeStore
  plan: () => Layer
  environment: Readonly<Record<string, string | undefined>>
  /** How long the websockets may take to connect (§9.2; Pebble: 5000). */
  connectTimeoutMs: number
}

// Go ignores unknown JSON fields, so the request is a loose object (§1.2).
const ExecRequestSchema = v.looseObject({
  command: v.optional(v.nullable(v.array(v.string()))),
  'service-context': v.optional(v.string()),
  environment: v.optional(v.nullable(v.record(v.string(), v.string()))),
  'working-dir': v.optional(v.string()),
  timeout: v.optional(v.string()),
  'user-id': v.optional(v.nullable(v.number())),
  user: v.optional(v.string()),
  'group-id': v.optional(v.nullable(v.number())),
  group: v.optional(v.string()),
  terminal: v.optional(v.boolean()),
  interactive: v.optional(v.boolean()),
  'split-stderr': v.optional(v.boolean()),
})

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const END = JSON.stringify({ command: 'end' })

interface ExecSession {
  change: ChangeRecord
  task: TaskRecord
  argv: string[]
  env: Record<string, string>
  cwd: string
  uid?: number
  gid?: number
  timeoutMs?: number
  splitStderr: boolean
  sockets: Partial<Record<'control' | 'stdio' | 'stderr', WebSocket>>
  connectTimer: NodeJS.Timeout
  launched: boolean
  child?: ChildProcess
  /** Input that arrived before the command started (stderr not connected yet). */
  pendingStdin: Buffer[]
  stdinEnded: boolean
}

/** Runs exec requests for one daemon. */
export class ExecManager {
  private readonly sessions = new Map<string, ExecSession>()
  private readonly websockets = new WebSocketServer({ noServer: true })
  /** stdio/stderr sockets of finished commands, open until the client or the daemon drops them. */
  private readonly lingering = new Set<WebSocket>()

  constructor(private readonly options: ExecManagerOptions) {}

  /** Validates and registers a command; the 202 result is returned for the envelope (§9.1). */
  create(body: unknown): { change: ChangeRecord; result: Record<string, unknown> } {
    const parsed = v.safeParse(ExecRequestSchema, body)
    if (!parsed.success)
      throw new HttpError(400, `cannot decode request body: ${firstIssue(parsed.issues)}`)
    const request = parsed.output
    const command = request.command ?? []
    if (command.length === 0) throw new HttpError(400, 'must specify command')
    let timeoutMs: number | undefined
    if (request.timeout !== undefined && request.timeout !== '') {
      timeoutMs = parseGoDuration(request.timeout)
      if (timeoutMs === undefined)
        throw new HttpError(400, `invalid timeout: time: invalid duration "${request.timeout}"`)
    }
    if (request.interactive && !request.terminal) {
      throw new HttpError(500, 'cannot call exec: cannot use interactive mode without a terminal')
    }
    if (request.terminal)
      throw new HttpError(400, 'terminal mode is not supported by the Pebble double')
    const contextName = request['service-context']
    const services = this.options.plan().services ?? {}
    const context =
      contextName && Object.hasOwn(services, contextName) ? services[contextName] : undefined
    if (contextName && !context)
      throw new HttpError(400, `context service "${contextName}" not found`)
    let runAs
    try {
      runAs = resolveIdentity({
        user: request.user || context?.user,
        userId: request['user-id'] ?? context?.['user-id'],
        group: request.group || context?.group,
        groupId: request['group-id'] ?? context?.['group-id'],
      })
    } catch (error) {
      throw new HttpError(400, (error as Error).message)
    }
    const env = buildEnvironment(this.options.environment, runAs, {
      ...context?.environment,
      ...request.environment,
    })
    env['PATH'] ??= DEFAULT_PATH
    env['LANG'] ??= 'C.UTF-8'
    const [file = ''] = command
    const executable = lookPath(file, env['PATH'])
    if (!executable) throw new HttpError(400, `cannot find executable "${file}"`)
    const cwd = request['working-dir'] || context?.['working-dir'] || env['HOME'] || '/'
    if (!isDirectory(cwd))
      throw new HttpError(500, `cannot call exec: working directory "${cwd}" does not exist`)

    const change = this.options.changes.create('exec', `Execute command "${file}"`)
    const task = this.options.changes.addTask(change, 'exec', `Execute command "${file}"`)
    const session: ExecSession = {
      change,
      task,
      argv: [executable, ...command.slice(1)],
      env,
      cwd,
      ...(runAs.uid === undefined ? {} : { uid: runAs.uid }),
      ...(runAs.gid === undefined ? {} : { gid: runAs.gid }),
      ...(timeoutMs ? { timeoutMs } : {}),
      splitStderr: request['split-stderr'] ?? false,
      sockets: {},
      launched: false,
      pendingStdin: [],
      stdinEnded: false,
      connectTimer: setTimeout(() => this.connectTimedOut(session), this.options.connectTimeoutMs),
    }
    this.sessions.set(task.id, session)
    this.options.changes.setStatus(change, task, 'Doing')
    return { change, result: { 'task-id': task.id, environment: env, 'working-dir': cwd } }
  }

  /**
   * Handles `GET /v1/tasks/{task}/websocket/{id}` upgrades (§9.2). Throws {@link HttpError} to
   * refuse, before the handshake.
   */
  upgrade(
    taskId: string,
    id: string,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): void {
    const session = this.sessions.get(taskId)
    if (!session) {
      if (this.options.changes.findTask(taskId))
        throw new HttpError(400, `task "${taskId}" is not an exec task`)
      throw new HttpError(404, `cannot find task with id "${taskId}"`)
    }
    const known = id === 'control' || id === 'stdio' || (id === 'stderr' && session.splitStderr)
    if (!known) throw new HttpError(404, `cannot find ${id} websocket for task "${taskId}"`)
    const name = id as 'control' | 'stdio' | 'stderr'
    if (session.sockets[name])
      throw new HttpError(400, `${id} websocket for task "${taskId}" is already connected`)
    this.websockets.handleUpgrade(request, socket, head, (ws) => {
      // A client that vanishes mid-stream must not take the daemon down with an unhandled error.
      ws.on('error', () => ws.terminate())
      session.sockets[name] = ws
      if (name === 'control')
        ws.on('message', (data, isBinary) => this.onControl(session, data as Buffer, isBinary))
      if (name === 'stdio')
        ws.on('message', (data, isBinary) => this.onStdin(session, data as Buffer, isBinary))
      if (
        session.sockets.stdio &&
        (!session.splitStderr || session.sockets.stderr) &&
        !session.launched
      )
        this.launch(session)
    })
  }

  /** Kills every running command and closes its websockets. */
  closeAll(): void {
    for (const session of this.sessions.values()) {
      clearTimeout(session.connectTimer)
      if (session.child?.pid !== undefined && session.child.exitCode === null)
        killGroup(session.child.pid, 'SIGKILL')
      for (const ws of Object.values(session.sockets)) ws.terminate()
    }
    for (const ws of this.lingering) ws.terminate()
    this.websockets.close()
  }

  private launch(session: ExecSession): void {
    clearTimeout(session.connectTimer)
    if (session.launched) return
    session.launched = true
    const [executable = '', ...args] = session.argv
    let child: ChildProcess
    try {
      child = spawn(executable, args, {
        env: session.env,
        cwd: session.cwd,
        ...(session.uid === undefined ? {} : { uid: session.uid }),
        ...(session.gid === undefined ? {} : { gid: session.gid }),
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    } catch (error) {
      // e.g. EPERM switching user when the daemon is not root: the task fails, the daemon lives.
      return this.finish(session, -1, `cannot start command: ${(error as Error).message}`)
    }
    session.child = child
    const { stdio, stderr } = session.sockets
    child.stdout?.on('data', (chunk: Buffer) => stdio?.send(chunk, { binary: true }))
    child.stderr?.on('data', (chunk: Buffer) => (stderr ?? stdio)?.send(chunk, { binary: true }))
    child.stdin?.on('error', () => undefined) // the command may exit without reading its input
    for (const chunk of session.pendingStdin) child.stdin?.write(chunk)
    if (session.stdinEnded) child.stdin?.end()
    let timedOut = false
    const timer =
      session.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL')
          }, session.timeoutMs)
    child.once('error', (error) =>
      this.finish(session, -1, `cannot start command: ${error.message}`),
    )
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const failure = timedOut
        ? `timed out after ${formatGoDuration(session.timeoutMs ?? 0)}: context deadline exceeded`
        : undefined
      // A timeout reports -1; a signal otherwise 128 + its number, as Pebble's reaper does.
      this.finish(session, timedOut ? -1 : exitCodeOf(code, signal), failure)
    })
  }

  private finish(session: ExecSession, exitCode: number, failure: string | undefined): void {
    if (session.task.data) return
    for (const ws of [session.sockets.stdio, session.sockets.stderr]) ws?.send(END)
    session.task.data = { 'exit-code': exitCode }
    if (failure) this.options.changes.fail(session.change, session.task, failure)
    else this.options.changes.setStatus(session.change, session.task, 'Done')
    // As Pebble: control is dropped without a close frame, and stdio/stderr stay open but are
    // no longer read, so a client's close handshake is never answered.
    session.sockets.control?.terminate()
    for (const ws of [session.sockets.stdio, session.sockets.stderr]) {
      if (!ws) continue
      ws.pause()
      this.lingering.add(ws)
      ws.once('close', () => this.lingering.delete(ws))
    }
    this.sessions.delete(session.task.id)
  }

  private connectTimedOut(session: ExecSession): void {
    if (session.launched) return
    const missing = ['stdio', ...(session.splitStderr ? ['stderr'] : [])].filter(
      (name) => !session.sockets[name as 'stdio' | 'stderr'],
    )
    const detail = `timeout waiting for websocket connections: ${missing.join(', ')} not connected`
    session.task.data = { 'exit-code': -1 }
    this.options.changes.fail(session.change, session.task, `exec ${session.task.id}: ${detail}`)
    for (const ws of Object.values(session.sockets)) ws.close()
    this.sessions.delete(session.task.id)
  }

  private onStdin(session: ExecSession, data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (session.child) session.child.stdin?.write(data)
      else session.pendingStdin.push(Buffer.from(data))
    } else if (commandOf(data) === 'end') {
      session.stdinEnded = true
      session.child?.stdin?.end()
    }
  }

  private onControl(session: ExecSession, data: Buffer, isBinary: boolean): void {
    if (isBinary) return
    let message: { command?: unknown; signal?: { name?: unknown } }
    try {
      message = JSON.parse(data.toString('utf8')) as typeof message
    } catch {
      return
    }
    const name = message.signal?.name
    if (
      message.command === 'signal' &&
      typeof name === 'string' &&
      session.child?.pid !== undefined
    ) {
      killGroup(session.child.pid, name as NodeJS.Signals)
    }
  }
}

function commandOf(data: Buffer): unknown {
  try {
    return (JSON.parse(data.toString('utf8')) as { command?: unknown }).command
  } catch {
    return undefined
  }
}

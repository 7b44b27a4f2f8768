import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { createInspector, createWebSocketInspector } from '@statelyai/inspect'
import type { InspectionEvent } from 'xstate'
import { inspectLog } from './inspect.js'
import type { LogEntry } from './log.js'
import { applyEvent, eventOfEntry, initialSnapshot, parseLogLine } from './log.js'
import { charmMachine } from './machine.js'
import { toMermaid } from './mermaid.js'
import { lifecycleState, statusOf } from './status.js'

/** Where the CLI writes; injected so tests run it in-process. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const USAGE = [
  'usage: charm-machine <command>',
  '  diagram                         print the machine as a Mermaid state diagram',
  '  replay <log>                    print each step: seq, event, from-state -> to-state, effects',
  '  inspect <log> [--out <file>]    replay into an inspector; writes inspection events (JSON lines)',
  '  inspect <log> --ws <url>        ... to the @statelyai/inspect WebSocket inspector instead',
  '<log> is a log.jsonl file or the directory holding it (e.g. $JUJU_CHARM_DIR/.charm-machine).',
].join('\n')

class CliError extends Error {}

function readLog(path: string): LogEntry[] {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'log.jsonl') : path
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
  return text
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      try {
        return parseLogLine(line)
      } catch (error) {
        throw new CliError(`${file}:${number}: ${(error as Error).message}`)
      }
    })
}

function replay(entries: LogEntry[], io: CliIo): void {
  let snapshot = initialSnapshot(charmMachine)
  for (const entry of entries) {
    const from = lifecycleState(snapshot.value)
    const step = applyEvent(charmMachine, snapshot, eventOfEntry(entry))
    snapshot = step.snapshot
    const effects = step.effects.map((effect) => effect.id).join(', ')
    io.stdout(
      `${entry.seq}\t${entry.at}\t${entry.event.type}\t${from} -> ${lifecycleState(snapshot.value)}\t${effects || '-'}\n`,
    )
  }
  const status = statusOf(snapshot.value, snapshot.context)
  io.stdout(
    `final\t${JSON.stringify(snapshot.value)}\t${status.name}${status.message === '' ? '' : `: ${status.message}`}\n`,
  )
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name)
  if (index === -1) return undefined
  const value = args[index + 1]
  if (value === undefined || value.startsWith('--')) throw new CliError(`${name} needs a value`)
  return value
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Whether a WebSocket server answers the opening handshake at `url` within `timeoutMs`. The
 * inspector's adapter retries a failed connection every 5 s forever, so it is only started once
 * the relay is known to be there.
 */
function websocketReachable(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      resolve(false)
      return
    }
    const request = (target.protocol === 'wss:' ? httpsRequest : httpRequest)(
      target.href.replace(/^ws/, 'http'),
      {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          'Sec-WebSocket-Version': '13',
        },
        timeout: timeoutMs,
      },
    )
    request.on('upgrade', (_response, socket) => {
      socket.destroy()
      resolve(true)
    })
    request.on('response', () => resolve(false))
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(false))
    request.end()
  })
}

async function sendToInspector(url: string, entries: LogEntry[], io: CliIo): Promise<void> {
  if (!(await websocketReachable(url, 5000)))
    throw new CliError(`no WebSocket inspector answers at ${url}`)
  const inspector = createWebSocketInspector({ url })
  const adapter = inspector.adapter as unknown as {
    status: string
    ws?: { bufferedAmount?: number }
  }
  inspector.start()
  for (let waited = 0; adapter.status !== 'open'; waited += 20) {
    if (waited > 5000) {
      inspector.stop()
      throw new CliError(`the WebSocket inspector at ${url} did not open`)
    }
    await sleep(20)
  }
  let count = 0
  inspectLog(charmMachine, entries, (event: InspectionEvent) => {
    count += 1
    inspector.inspect.next?.(event)
  })
  await flushInspector()
  while ((adapter.ws?.bufferedAmount ?? 0) > 0) await sleep(10)
  inspector.stop()
  io.stdout(`sent ${count} inspection events for ${entries.length} log entries to ${url}\n`)
}

// @statelyai/inspect converts XState events in setTimeout(0) callbacks; a later one runs after them.
const flushInspector = () => new Promise((resolve) => setTimeout(resolve, 0))

async function inspect(path: string, args: string[], io: CliIo): Promise<void> {
  const entries = readLog(path)
  const url = option(args, '--ws')
  if (url !== undefined) {
    await sendToInspector(url, entries, io)
    return
  }
  const out = option(args, '--out') ?? `${path.replace(/\/$/, '')}.inspect.jsonl`
  writeFileSync(out, '')
  let count = 0
  // The same events the WebSocket inspector would send, as JSON lines a viewer can load later.
  const inspector = createInspector({
    send: (event) => {
      count += 1
      appendFileSync(out, `${JSON.stringify(event)}\n`)
    },
  })
  inspector.start()
  inspectLog(charmMachine, entries, (event: InspectionEvent) => inspector.inspect.next?.(event))
  await flushInspector()
  inspector.stop()
  io.stdout(`wrote ${count} inspection events for ${entries.length} log entries to ${out}\n`)
}

/**
 * Runs the `charm-machine` command line and returns its exit code: 0 on success, 1 on a bad log
 * or file, 2 on bad usage. Every failure is one line on stderr.
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  try {
    switch (command) {
      case 'diagram':
        io.stdout(toMermaid(charmMachine))
        return 0
      case 'replay':
      case 'inspect': {
        const path = rest[0]
        if (path === undefined || path.startsWith('--'))
          throw new CliError(`${command} needs a log file`)
        if (command === 'replay') replay(readLog(path), io)
        else await inspect(path, rest.slice(1), io)
        return 0
      }
      case undefined:
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`)
        return command === undefined ? 2 : 0
      default:
        io.stderr(`charm-machine: unknown command ${JSON.stringify(command)} (try --help)\n`)
        return 2
    }
  } catch (error) {
    io.stderr(`charm-machine: ${(error as Error).message}\n`)
    return error instanceof CliError && /needs a/.test((error as Error).message) ? 2 : 1
  }
}

import { describe, expect, it } from 'vitest'
import { UsageError } from './commands/args.js'
import type { Command, CommandIo } from './commands/types.js'
import { runCli } from './run-cli.js'

function fakeCommand(name: string, run: Command['run']): Command {
  return { name, summary: `the ${name} command`, help: `help of ${name}`, run }
}

function harness(commands: Command[], env: CommandIo['env'] = {}) {
  const out: string[] = []
  const err: string[] = []
  const run = (...argv: string[]) =>
    runCli(
      {
        argv,
        env,
        stdout: (line) => out.push(line),
        stderr: (line) => err.push(line),
        stopSignal: new AbortController().signal,
      },
      { commands, defaultCommand: 'serve', version: '9.9.9' },
    )
  return { run, out, err }
}

const seen: string[][] = []
const serve = fakeCommand('serve', async (io) => {
  seen.push(['serve', ...io.argv])
  return 0
})
const route = fakeCommand('route', async (io) => {
  seen.push(['route', ...io.argv])
  return 3
})

describe('runCli', () => {
  it('runs the default command when no command is given', async () => {
    const { run } = harness([serve, route])
    seen.length = 0
    expect(await run()).toBe(0)
    expect(seen).toEqual([['serve']])
  })

  it('passes the remaining arguments to the named command and returns its exit code', async () => {
    const { run } = harness([serve, route])
    seen.length = 0
    expect(await run('route', '--labels', 'a,b')).toBe(3)
    expect(seen).toEqual([['route', '--labels', 'a,b']])
  })

  it.each(['--help', '-h', 'help'])('prints the command list for %s', async (flag) => {
    const { run, out } = harness([serve, route])
    expect(await run(flag)).toBe(0)
    expect(out.join('\n')).toMatch(/^Usage: webhook-router \[command\] \[options\]/)
    expect(out.join('\n')).toContain('  serve  the serve command (default)')
    expect(out.join('\n')).toContain('  route  the route command')
  })

  it('prints the version', async () => {
    const { run, out } = harness([serve])
    expect(await run('--version')).toBe(0)
    expect(out).toEqual(['9.9.9'])
  })

  it('exits 2 with one line and a hint for an unknown command', async () => {
    const { run, err } = harness([serve])
    expect(await run('frobnicate')).toBe(2)
    expect(err).toEqual([
      "webhook-router: unknown command 'frobnicate'. Run 'webhook-router --help' for usage.",
    ])
  })

  it('exits 2 for an unknown top-level option', async () => {
    const { run, err } = harness([serve])
    expect(await run('--frob')).toBe(2)
    expect(err).toEqual([
      "webhook-router: unknown option '--frob'. Run 'webhook-router --help' for usage.",
    ])
  })

  it('exits 2 with the message of a UsageError thrown by a command', async () => {
    const bad = fakeCommand('bad', async () => {
      throw new UsageError('webhook-router bad: no. Run it right.')
    })
    const { run, err } = harness([serve, bad])
    expect(await run('bad')).toBe(2)
    expect(err).toEqual(['webhook-router bad: no. Run it right.'])
  })

  it('exits 1 with one redacted line, no stack, when a command throws', async () => {
    const boom = fakeCommand('boom', async () => {
      throw new Error('connect failed for mongodb://u:pw123@db/x\n    at somewhere')
    })
    const { run, err } = harness([serve, boom], {
      MONGODB_DB_CONNECT_STRING: 'mongodb://u:pw123@db/x',
    })
    expect(await run('boom')).toBe(1)
    expect(err).toEqual(['webhook-router boom: connect failed for ***'])
  })
})

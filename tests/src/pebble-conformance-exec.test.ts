/**
 * Conformance, part 4: exec over websockets (output, stdin, environment, working dir, service
 * context, timeouts, exit codes, the 5 s connect rule) and its errors; the same assertions
 * against real Pebble v1.32.1 and against our double.
 */
import { realpathSync } from 'node:fs'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  APIError,
  ChangeError,
  ConnectionError,
  ExecError,
  PebbleClient,
  type Transport,
} from '@webhook-router/pebble-client'
import { eventually, PEBBLE_TARGETS, scratchDir, type RunningPebble } from './pebble-targets.js'

const scratch = scratchDir('pebble-exec')
afterAll(() => scratch.remove())

describe.each(PEBBLE_TARGETS)('$name: exec', (target) => {
  let pebble: RunningPebble
  let client: PebbleClient

  beforeEach(async () => {
    pebble = await target.start()
    client = pebble.client
  })
  afterEach(async () => {
    await pebble.close()
  })

  it('runs a command as an exec change and returns its output and exit code 0', async () => {
    const result = await client.exec(['sh', '-c', 'echo out; echo err >&2'])
    expect(result).toMatchObject({ exitCode: 0, stdout: 'out\n', stderr: 'err\n' })
    expect(result.change).toMatchObject({
      kind: 'exec',
      summary: 'Execute command "sh"',
      status: 'Done',
      ready: true,
    })
    expect(result.change.tasks?.[0]).toMatchObject({ kind: 'exec', data: { 'exit-code': 0 } })
  })

  it('leaves no websocket open once the command is done, so the caller can exit', async () => {
    const sockets: Awaited<ReturnType<Transport['openWebSocket']>>[] = []
    const transport: Transport = {
      request: (request) => client.transport.request(request),
      openWebSocket: async (path) => {
        const socket = await client.transport.openWebSocket(path)
        sockets.push(socket)
        return socket
      },
    }
    await new PebbleClient({ transport }).exec(['echo', 'done'])
    expect(sockets).toHaveLength(3)
    // ws waits 30 s for a close frame Pebble never sends; a terminated socket closes at once.
    await eventually(
      async () =>
        sockets.every((socket) => socket.readyState === socket.CLOSED) ? true : undefined,
      'the exec websockets to close',
      5_000,
    )
  })

  it('merges stderr into stdout with combineStderr', async () => {
    const result = await client.exec(['sh', '-c', 'echo out; echo err >&2'], {
      combineStderr: true,
    })
    expect(result.stdout.split('\n').sort()).toEqual(['', 'err', 'out'])
    expect(result.stderr).toBe('')
  })

  it('feeds stdin and closes it', async () => {
    expect((await client.exec(['cat'], { stdin: 'line one\nline two' })).stdout).toBe(
      'line one\nline two',
    )
    expect((await client.exec(['cat'])).stdout).toBe('')
  })

  it('passes the environment over the daemon defaults', async () => {
    const { stdout } = await client.exec(['sh', '-c', 'echo "$GREETING|$LANG|$PATH"'], {
      environment: { GREETING: 'hello', LANG: 'C' },
    })
    const [greeting, lang, path] = stdout.trim().split('|')
    expect(greeting).toBe('hello')
    expect(lang).toBe('C')
    expect(path).toContain('/usr/bin')
  })

  it('runs in the working dir, by default in $HOME', async () => {
    expect((await client.exec(['pwd'], { workingDir: scratch.dir })).stdout.trim()).toBe(
      realpathSync(scratch.dir),
    )
    const home = (await client.exec(['sh', '-c', 'echo "$HOME"'])).stdout.trim()
    expect((await client.exec(['pwd'])).stdout.trim()).toBe(realpathSync(home || '/'))
  })

  it("inherits a service's environment and working dir with serviceContext", async () => {
    await client.addLayer('base', {
      services: {
        svc: {
          override: 'replace',
          command: 'sleep 1000',
          environment: { FROM: 'service', KEPT: 'yes' },
          'working-dir': scratch.dir,
        },
      },
    })
    const { stdout } = await client.exec(['sh', '-c', 'echo "$FROM $KEPT"; pwd'], {
      serviceContext: 'svc',
      environment: { FROM: 'exec' },
    })
    expect(stdout).toBe(`exec yes\n${realpathSync(scratch.dir)}\n`)
  })

  it('throws ExecError with the output for a non-zero exit; the change is still Done', async () => {
    const error = await client
      .exec(['sh', '-c', 'echo partial; echo oops >&2; exit 7'])
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExecError)
    expect(error).toMatchObject({ exitCode: 7, stdout: 'partial\n', stderr: 'oops\n' })
  })

  it('reports a command killed by a signal with exit code 128 + the signal', async () => {
    const error = await client.exec(['sh', '-c', 'kill -9 $$']).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExecError)
    expect((error as ExecError).exitCode).toBe(137)
  })

  it('kills a command that outlives its timeout and fails the change', async () => {
    const error = await client
      .exec(['sleep', '30'], { timeout: 0.5 })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ChangeError)
    const { err, change } = error as ChangeError
    expect(err).toBe(
      'cannot perform the following tasks:\n' +
        '- Execute command "sleep" (timed out after 500ms: context deadline exceeded)',
    )
    expect(change.tasks?.[0]?.data).toEqual({ 'exit-code': -1 })
  })

  it('answers 400 for a missing executable, an unknown service context, a bad user', async () => {
    await expect(client.exec(['no-such-command-here'])).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot find executable "no-such-command-here"',
    })
    await expect(client.exec(['true'], { serviceContext: 'ghost' })).rejects.toMatchObject({
      statusCode: 400,
      message: 'context service "ghost" not found',
    })
    await expect(client.exec(['true'], { user: 'no-such-user-here' })).rejects.toMatchObject({
      statusCode: 400,
    })
  })

  it('answers 500 for a working dir that does not exist', async () => {
    await expect(client.exec(['true'], { workingDir: '/no/such/dir' })).rejects.toMatchObject({
      statusCode: 500,
      message: 'cannot call exec: working directory "/no/such/dir" does not exist',
    })
  })

  it('answers 400 for no command and for a bad timeout', async () => {
    const post = (body: unknown) => client.request('POST', '/v1/exec', { body })
    await expect(post({ command: [] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify command',
    })
    await expect(post({ command: ['true'], timeout: 'soon' })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^invalid timeout: /),
    })
  })

  it('fails the task when the websockets are not connected within 5 s', async () => {
    const response = await client.request('POST', '/v1/exec', {
      body: { command: ['echo', 'never'], 'split-stderr': true },
    })
    const change = await client.waitChange(response.change ?? '', { timeout: 30 })
    expect(change.status).toBe('Error')
    expect(change.err).toMatch(
      /^cannot perform the following tasks:\n- Execute command "echo" \(.*timeout waiting for websocket connections.*\)$/,
    )
  })

  it('refuses websockets of unknown tasks and a stderr socket when stderr is not split', async () => {
    await expect(
      client.transport.openWebSocket('/v1/tasks/999/websocket/control'),
    ).rejects.toBeInstanceOf(ConnectionError)
    const response = await client.request('POST', '/v1/exec', {
      body: { command: ['cat'], 'split-stderr': false },
    })
    const task = (response.result as { 'task-id': string })['task-id']
    await expect(
      client.transport.openWebSocket(`/v1/tasks/${task}/websocket/stderr`),
    ).rejects.toMatchObject({ message: expect.stringContaining('HTTP 404') })
    // Connect and end stdin so the command can finish and the daemon closes cleanly.
    const stdio = await client.transport.openWebSocket(`/v1/tasks/${task}/websocket/stdio`)
    stdio.send(JSON.stringify({ command: 'end' }))
    const change = await client.waitChange(response.change ?? '')
    expect(change.tasks?.[0]?.data).toEqual({ 'exit-code': 0 })
    stdio.close()
  })

  it('sends SIGTERM through the control websocket when aborted', async () => {
    const abort = new AbortController()
    const running = client.exec(['sleep', '30'], { signal: abort.signal })
    setTimeout(() => abort.abort(), 300)
    const error = await running.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExecError)
    expect((error as ExecError).exitCode).toBe(143)
  })

  it('still sends SIGTERM when aborted while the websockets were connecting', async () => {
    const abort = new AbortController()
    const transport: Transport = {
      request: (request) => client.transport.request(request),
      openWebSocket: async (path) => {
        const socket = await client.transport.openWebSocket(path)
        if (path.endsWith('/stderr')) abort.abort()
        return socket
      },
    }
    const error = await new PebbleClient({ transport })
      .exec(['sleep', '30'], { signal: abort.signal, timeout: 20 })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExecError)
    expect((error as ExecError).exitCode).toBe(143)
  })

  it('rejects with APIError, not a hang, when the daemon is asked for something it refuses', async () => {
    await expect(client.exec([])).rejects.toBeInstanceOf(APIError)
  })
})

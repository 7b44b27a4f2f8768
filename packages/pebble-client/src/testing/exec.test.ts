import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ChangeError, ExecError, type PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient

beforeEach(async () => {
  double = await startPebbleDouble({
    execConnectTimeoutMs: 300,
    environment: { PATH: process.env['PATH'] ?? '', FROM_DAEMON: 'yes' },
  })
  client = double.client()
})
afterEach(async () => {
  await double.close()
})

function openSocket(path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws+unix://${double.socketPath}:${path}`)
    socket.once('open', () => resolve(socket))
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    )
    socket.once('error', reject)
  })
}

describe('exec (§9)', () => {
  it('§9.3 returns stdout, stderr and exit code 0 from tasks[0].data', async () => {
    const result = await client.exec(['sh', '-c', 'echo out; echo err >&2'])
    expect(result).toMatchObject({ exitCode: 0, stdout: 'out\n', stderr: 'err\n' })
    expect(result.change).toMatchObject({
      kind: 'exec',
      summary: 'Execute command "sh"',
      status: 'Done',
    })
    expect(result.change.tasks?.[0]?.data).toEqual({ 'exit-code': 0 })
  })

  it('§9.3 a non-zero exit is a Done change without err, surfaced as ExecError with the output', async () => {
    const error = await client
      .exec(['sh', '-c', 'echo partial; echo broken >&2; exit 7'])
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExecError)
    expect(error).toMatchObject({
      exitCode: 7,
      stdout: 'partial\n',
      stderr: 'broken\n',
      command: ['sh', '-c', 'echo partial; echo broken >&2; exit 7'],
    })
  })

  it('§9.2 passes stdin and closes it with the end command', async () => {
    const result = await client.exec(['cat'], { stdin: 'line one\nline two\n' })
    expect(result.stdout).toBe('line one\nline two\n')
  })

  it('§9.1 applies environment on top of the daemon environment, and working dir', async () => {
    const result = await client.exec(['sh', '-c', 'echo "$FROM_DAEMON $EXTRA $LANG"; pwd'], {
      environment: { EXTRA: 'set' },
      workingDir: '/tmp',
    })
    expect(result.stdout).toBe('yes set C.UTF-8\n/tmp\n')
  })

  it('§9.1 service-context inherits the service environment and working dir', async () => {
    await client.addLayer('base', {
      services: {
        svc: {
          override: 'replace',
          command: 'sleep 1',
          environment: { FROM_SERVICE: 'svc' },
          'working-dir': '/usr',
        },
      },
    })
    const result = await client.exec(['sh', '-c', 'echo $FROM_SERVICE; pwd'], {
      serviceContext: 'svc',
    })
    expect(result.stdout).toBe('svc\n/usr\n')
  })

  it('§9.1 combineStderr sends stderr through stdio', async () => {
    const result = await client.exec(['sh', '-c', 'echo a; echo b >&2'], { combineStderr: true })
    expect(result.stdout.split('\n').sort()).toEqual(['', 'a', 'b'])
    expect(result.stderr).toBe('')
  })

  it("§9.3 a timeout fails the change with Go's wording and exit-code -1", async () => {
    const error = await client
      .exec(['sleep', '10'], { timeout: 0.2 })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ChangeError)
    const { err, change } = error as ChangeError
    expect(err).toBe(
      'cannot perform the following tasks:\n- Execute command "sleep" (timed out after 200ms: context deadline exceeded)',
    )
    expect(change.tasks?.[0]?.data).toEqual({ 'exit-code': -1 })
  })

  it('§9.1 rejects a missing command, an unknown executable, a bad timeout and an unknown service context with 400', async () => {
    const post = (body: unknown) => client.request('POST', '/v1/exec', { body })
    await expect(post({ command: [] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'must specify command',
    })
    await expect(post({ command: ['definitely-not-here'] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot find executable "definitely-not-here"',
    })
    await expect(post({ command: ['true'], timeout: 'soon' })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^invalid timeout: /),
    })
    await expect(post({ command: ['true'], 'service-context': 'nope' })).rejects.toMatchObject({
      statusCode: 400,
      message: 'context service "nope" not found',
    })
  })

  it('§9.1 a missing working dir is a 500 and interactive without terminal is a 500', async () => {
    await expect(client.exec(['true'], { workingDir: '/no/such/dir' })).rejects.toMatchObject({
      statusCode: 500,
      message: 'cannot call exec: working directory "/no/such/dir" does not exist',
    })
    await expect(
      client.request('POST', '/v1/exec', { body: { command: ['true'], interactive: true } }),
    ).rejects.toMatchObject({
      statusCode: 500,
      message: 'cannot call exec: cannot use interactive mode without a terminal',
    })
  })

  it('§9.1 answers 202 with the task id, the full environment and the working dir', async () => {
    const response = await client.request('POST', '/v1/exec', {
      body: { command: ['true'], 'working-dir': '/' },
    })
    expect(response.statusCode).toBe(202)
    expect(response.result).toMatchObject({
      'task-id': expect.any(String),
      'working-dir': '/',
      environment: expect.objectContaining({ FROM_DAEMON: 'yes' }),
    })
  })

  it('§9.2 the command does not start until stdio connects, and fails after the connect timeout', async () => {
    const response = await client.request('POST', '/v1/exec', {
      body: { command: ['true'], 'split-stderr': false },
    })
    const change = await client.waitChange(response.change ?? '', { timeout: 5 })
    expect(change.status).toBe('Error')
    expect(change.err).toContain('timeout waiting for websocket connections')
    expect(change.tasks?.[0]?.data).toEqual({ 'exit-code': -1 })
  })

  it('§9.2 refuses an unknown task with 404 and a stderr socket when stderr is not split', async () => {
    await expect(openSocket('/v1/tasks/999/websocket/stdio')).rejects.toThrow('HTTP 404')
    const response = await client.request('POST', '/v1/exec', {
      body: { command: ['cat'], 'split-stderr': false },
    })
    const taskId = (response.result as { 'task-id': string })['task-id']
    await expect(openSocket(`/v1/tasks/${taskId}/websocket/stderr`)).rejects.toThrow('HTTP 404')
    const stdio = await openSocket(`/v1/tasks/${taskId}/websocket/stdio`)
    stdio.send(JSON.stringify({ command: 'end' }))
    const change = await client.waitChange(response.change ?? '', { timeout: 5 })
    expect(change.tasks?.[0]?.data).toEqual({ 'exit-code': 0 })
    stdio.close()
  })

  it('§9.2 a signal on the control websocket reaches the command (aborting the exec)', async () => {
    const controller = new AbortController()
    const running = client
      .exec(['sleep', '10'], { signal: controller.signal })
      .catch((caught: unknown) => caught)
    await new Promise((resolve) => setTimeout(resolve, 200))
    controller.abort()
    const error = await running
    expect(error).toBeInstanceOf(ExecError)
    expect((error as ExecError).exitCode).toBe(143) // 128 + SIGTERM, as Pebble reports it
  })

  it('§9.1 runs as another user when the daemon is root, and rejects an unknown user with 400', async ({
    skip,
  }) => {
    await expect(client.exec(['true'], { user: 'no-such-user-here' })).rejects.toMatchObject({
      statusCode: 400,
      message: 'user: unknown user no-such-user-here',
    })
    if (process.getuid?.() !== 0) skip('needs root to switch user')
    const result = await client.exec(['sh', '-c', 'id -un; echo $HOME'], {
      user: 'nobody',
      workingDir: '/',
    })
    expect(result.stdout.split('\n')[0]).toBe('nobody')
  })

  it('a client that drops its websocket mid-output does not take the daemon down', async () => {
    const body = { command: ['sh', '-c', 'yes | head -c 5000000'], 'split-stderr': false }
    const response = await client.request('POST', '/v1/exec', { body })
    const taskId = (response.result as { 'task-id': string })['task-id']
    const stdio = await openSocket(`/v1/tasks/${taskId}/websocket/stdio`)
    stdio.on('error', () => undefined)
    stdio.send(JSON.stringify({ command: 'end' }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    ;(stdio as unknown as { _socket: { destroy(): void } })._socket.destroy()
    const change = await client.waitChange(response.change ?? '', { timeout: 10 })
    expect(change.ready).toBe(true)
    expect((await client.systemInfo()).version).toBe('v1.32.1')
  })
})

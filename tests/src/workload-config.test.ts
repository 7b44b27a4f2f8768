import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli, tempEnv } from './workload-harness.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function env(extra: Record<string, string>) {
  const temp = tempEnv(extra)
  cleanups.push(temp.cleanup)
  return temp.env
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m)

describe('webhook-router serve with bad configuration (process)', () => {
  it.each([
    [{ APP_FLAVOURS: '' }, 'FLAVOURS config is not set!'],
    [{ APP_FLAVOURS: '[small: [x64' }, "Invalid 'FLAVOURS' config. Invalid yaml."],
    [
      { APP_FLAVOURS: 'small: [x64, small]' },
      "Invalid 'FLAVOURS' config. Expected a YAML file with a list at the top level.",
    ],
    [
      { APP_FLAVOURS: '[{small: [s]}, {small: [t]}]' },
      "Invalid 'FLAVOURS' config. Duplicate flavour 'small' found.",
    ],
    [{ APP_DEFAULT_FLAVOUR: '' }, 'DEFAULT_FLAVOUR config is not set!'],
    [{ APP_PORT: 'eighty' }, "Invalid 'APP_PORT' config. Expected an integer from 0 to 65535."],
    [
      { APP_LOG_LEVEL: 'loud' },
      "Invalid 'APP_LOG_LEVEL' config. Expected one of debug, info, warning, error (any case).",
    ],
  ])('exits 1 with exactly the message for %j', async (extra, message) => {
    const result = await runCli(['serve'], env(extra))
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`${message}\n`)
    expect(result.stdout).toBe('')
  })

  it('never prints the Mongo password when the connection string is malformed', async () => {
    const result = await runCli(
      ['serve'],
      env({ MONGODB_DB_CONNECT_STRING: 'mongo://u:hunter2@db' }),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).not.toContain('hunter2')
    noStack(result.stderr)
  })

  it('exits 1 with one line when the webhook port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const result = await runCli(['serve'], env({ APP_PORT: String(port) }))
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `webhook-router serve: cannot listen for webhook on 127.0.0.1:${port}: the address is in use\n`,
      )
    } finally {
      blocker.close()
    }
  })

  it('exits 1 with one line when the queue file cannot be created', async () => {
    const temp = tempEnv()
    cleanups.push(temp.cleanup)
    // The queue's folder would have to be created inside a regular file.
    writeFileSync(join(temp.dir, 'not-a-folder'), '')
    const queuePath = join(temp.dir, 'not-a-folder', 'queue.sqlite')
    const result = await runCli(['serve'], { ...temp.env, APP_QUEUE_PATH: queuePath })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^webhook-router serve: cannot open the queue: .+\n$/)
    noStack(result.stderr)
  })
})

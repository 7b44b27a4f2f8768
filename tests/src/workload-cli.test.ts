import { existsSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli, tempEnv } from './workload-harness.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function temp(extra: Record<string, string> = {}) {
  const created = tempEnv(extra)
  cleanups.push(created.cleanup)
  return created
}

describe('webhook-router CLI (process)', () => {
  it.each([[[]], [['serve']], [['route']], [['migrate']], [['queue']]])(
    'prints help and exits 0 for %j --help',
    async (args) => {
      const result = await runCli([...args, '--help'], { PATH: process.env['PATH'] ?? '' })
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: webhook-router/)
      expect(result.stderr).toBe('')
    },
  )

  it('exits 2 with one line and a hint for an unknown command', async () => {
    const result = await runCli(['frobnicate'], temp().env)
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      "webhook-router: unknown command 'frobnicate'. Run 'webhook-router --help' for usage.\n",
    )
  })

  it('exits 2 for an unknown option of a command', async () => {
    const result = await runCli(['migrate', '--force'], temp().env)
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      "webhook-router migrate: unknown option '--force'. Run 'webhook-router migrate --help' for usage.\n",
    )
  })

  it('route prints the flavour and exits 0 when routed', async () => {
    const result = await runCli(['route', '--labels', 'self-hosted,linux,arm64'], temp().env)
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('arm64\n')
  })

  it('route exits 3 with the reason when unroutable, and --json gives the decision', async () => {
    const text = await runCli(['route', '--labels', 'gpu'], temp().env)
    expect(text.code).toBe(3)
    expect(text.stdout).toBe('')
    expect(text.stderr).toMatch(/^unroutable: .*gpu/)
    const json = await runCli(['route', '--labels', 'gpu', '--json'], temp().env)
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stdout)).toMatchObject({ routed: false, unknownLabels: ['gpu'] })
  })

  it('migrate creates the SQLite queue and is idempotent', async () => {
    const { env } = temp()
    const first = await runCli(['migrate'], env)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^migrated the sqlite queue at .+queue\.sqlite/)
    expect(existsSync(env['APP_QUEUE_PATH'] ?? '')).toBe(true)
    expect((await runCli(['migrate'], env)).code).toBe(0)
    expect(JSON.parse((await runCli(['queue', '--json'], env)).stdout)).toEqual({
      small: 0,
      large: 0,
      arm64: 0,
    })
  })

  it('queue exits 1 with one line, and creates nothing, when the queue file does not exist', async () => {
    const { env } = temp()
    const result = await runCli(['queue'], env)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^webhook-router queue: No SQLite queue at .+\n$/)
    expect(existsSync(env['APP_QUEUE_PATH'] ?? '')).toBe(false)
  })
})

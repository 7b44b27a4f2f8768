import type { ToolOutput } from '@webhook-router/charm-machine/juju'
import { describe, expect, it } from 'vitest'
import { cachingToolRunner } from './tool-cache.js'

function recorder(outputs: Record<string, ToolOutput> = {}) {
  const calls: string[] = []
  const run = async (argv: readonly string[]): Promise<ToolOutput> => {
    calls.push(argv.join(' '))
    return outputs[argv[0] ?? ''] ?? { code: 0, stdout: `"${calls.length}"`, stderr: '' }
  }
  return { calls, run }
}

describe('cachingToolRunner', () => {
  it('runs a repeated read once per dispatch', async () => {
    const { calls, run } = recorder()
    const cached = cachingToolRunner(run)
    const first = await cached(['is-leader', '--format=json'])
    const second = await cached(['is-leader', '--format=json'])
    expect(second).toEqual(first)
    expect(calls).toEqual(['is-leader --format=json'])
  })

  it('never caches a write', async () => {
    const { calls, run } = recorder()
    const cached = cachingToolRunner(run)
    await cached(['status-set', 'active', ''])
    await cached(['status-set', 'active', ''])
    expect(calls).toHaveLength(2)
  })

  it('reads a relation again after the charm wrote to it', async () => {
    const { calls, run } = recorder()
    const cached = cachingToolRunner(run)
    const read = ['relation-get', '--format=json', '-r', 'ingress:3', '-', 'app/0']
    await cached(read)
    await cached(['relation-set', '-r', 'ingress:3', '--file', '-'], '{"a":"1"}')
    await cached(read)
    expect(calls.filter((call) => call.startsWith('relation-get'))).toHaveLength(2)
  })

  it('retries a read that failed', async () => {
    const { calls, run } = recorder({
      'secret-get': { code: 1, stdout: '', stderr: 'ERROR permission denied' },
    })
    const cached = cachingToolRunner(run)
    await cached(['secret-get', 'secret:x'])
    await cached(['secret-get', 'secret:x'])
    expect(calls).toHaveLength(2)
  })
})

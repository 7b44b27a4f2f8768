import { createMemoryQueue } from '@webhook-router/router'
import { describe, expect, it } from 'vitest'
import { createServeCommand } from './serve.js'
import { exampleRoutingEnv, recordingIo } from './test-io.js'

const env = { ...exampleRoutingEnv, APP_HOST: '127.0.0.1', APP_PORT: '0', APP_METRICS_PORT: '0' }

/** The JSON lines of every stdout write, split where a batch joined them. */
const lines = (writes: readonly string[]) =>
  writes.flatMap((text) => text.split('\n')).map((line) => JSON.parse(line) as { msg: string })

describe('serve with buffered logs', () => {
  it('writes the lines of a turn together and has written every one when it exits', async () => {
    const recorded = recordingIo([], env)
    const command = createServeCommand({
      openQueue: async () => createMemoryQueue(),
      collectProcessMetrics: false,
      bufferLogs: true,
      onListening: () => recorded.stop.abort('SIGTERM'),
    })
    expect(await command.run(recorded.io)).toBe(0)
    const messages = lines(recorded.stdout).map((line) => line.msg)
    expect(messages.slice(-2)).toEqual(['stopping: draining requests in flight', 'stopped'])
    expect(messages).toContain('webhook-router listening')
    // Fewer writes than lines: the listening line and the secret warning share one.
    expect(recorded.stdout.length).toBeLessThan(messages.length)
  })

  it('leaves no exit listener behind once it returns', async () => {
    const before = process.listenerCount('exit')
    const recorded = recordingIo([], env)
    const command = createServeCommand({
      openQueue: async () => createMemoryQueue(),
      collectProcessMetrics: false,
      bufferLogs: true,
      onListening: () => recorded.stop.abort('SIGTERM'),
    })
    await command.run(recorded.io)
    expect(process.listenerCount('exit')).toBe(before)
  })
})

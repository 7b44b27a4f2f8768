import { EventEmitter } from 'node:events'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { guardOutput, registerLogWriteFailures, type OutputStream } from './log-output.js'

/** A stream double whose writes fail the way a closed pipe's do: a callback error, then 'error'. */
function failingStream(mode: 'callback' | 'throw' | 'destroyed') {
  const emitter = new EventEmitter()
  const written: string[] = []
  const stream: OutputStream = {
    write(chunk, callback) {
      if (mode === 'throw') throw Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' })
      written.push(chunk)
      const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
      process.nextTick(() => {
        callback(error)
        emitter.emit('error', error)
      })
      return false
    },
    on: (event, listener) => emitter.on(event, listener),
    destroyed: mode === 'destroyed',
    writableEnded: false,
  }
  return { stream, written }
}

describe('guardOutput', () => {
  it('writes each line with a newline', () => {
    const written: string[] = []
    const stream: OutputStream = {
      write: (chunk, callback) => (written.push(chunk), callback(), true),
      on: () => undefined,
      destroyed: false,
      writableEnded: false,
    }
    guardOutput(stream).writeLine('{"msg":"a"}')
    expect(written).toEqual(['{"msg":"a"}\n'])
  })

  it('counts a write that fails later (EPIPE) and survives the error event', async () => {
    const { stream } = failingStream('callback')
    const output = guardOutput(stream)
    output.writeLine('one')
    output.writeLine('two')
    await new Promise((wake) => setImmediate(wake))
    expect(output.failedWrites()).toBe(2)
  })

  it('counts a write that throws (ENOSPC) instead of throwing', () => {
    const output = guardOutput(failingStream('throw').stream)
    expect(() => output.writeLine('one')).not.toThrow()
    expect(output.failedWrites()).toBe(1)
  })

  it('drops lines for a destroyed stream without writing them', () => {
    const { stream, written } = failingStream('destroyed')
    const output = guardOutput(stream)
    output.writeLine('one')
    expect(written).toEqual([])
    expect(output.failedWrites()).toBe(1)
  })
})

describe('registerLogWriteFailures', () => {
  it('exposes the dropped lines as a counter read at scrape time', async () => {
    const registry = new Registry()
    let failures = 0
    registerLogWriteFailures(registry, () => failures)
    failures = 3
    expect(await registry.metrics()).toMatch(/^webhook_router_log_write_failures_total 3$/m)
    failures = 5
    expect(await registry.metrics()).toMatch(/^webhook_router_log_write_failures_total 5$/m)
  })
})

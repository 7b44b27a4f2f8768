import { describe, expect, it } from 'vitest'
import { createBufferedLogSink, createJsonLogger } from './logger.js'

function setup(maxLines?: number) {
  const writes: string[] = []
  const queued: (() => void)[] = []
  const buffered = createBufferedLogSink((text) => writes.push(text), {
    schedule: (flush) => void queued.push(flush),
    ...(maxLines === undefined ? {} : { maxLines }),
  })
  const tick = () => {
    for (const flush of queued.splice(0)) flush()
  }
  return { buffered, writes, tick, queued }
}

describe('createBufferedLogSink', () => {
  it('writes the lines of one turn together, joined by newlines, once the turn ends', () => {
    const { buffered, writes, tick } = setup()
    buffered.sink('{"a":1}')
    buffered.sink('{"b":2}')
    expect(writes).toEqual([])
    tick()
    expect(writes).toEqual(['{"a":1}\n{"b":2}'])
  })

  it('schedules one write per turn, however many lines arrive', () => {
    const { buffered, queued } = setup()
    for (let i = 0; i < 10; i += 1) buffered.sink(`{"i":${i}}`)
    expect(queued.length).toBe(1)
  })

  it('writes at once when the buffer holds maxLines lines', () => {
    const { buffered, writes } = setup(3)
    for (const line of ['1', '2', '3', '4']) buffered.sink(line)
    expect(writes).toEqual(['1\n2\n3'])
  })

  it('writes what it holds when flushed, and nothing when empty', () => {
    const { buffered, writes } = setup()
    buffered.flush()
    buffered.sink('last')
    buffered.flush()
    buffered.flush()
    expect(writes).toEqual(['last'])
  })

  it('drops a batch whose write throws instead of throwing from the scheduled flush', () => {
    const queued: (() => void)[] = []
    let fail = true
    const writes: string[] = []
    const buffered = createBufferedLogSink(
      (text) => {
        if (fail) throw new Error('EPIPE')
        writes.push(text)
      },
      { schedule: (flush) => void queued.push(flush) },
    )
    buffered.sink('lost')
    expect(() => queued.splice(0).forEach((flush) => flush())).not.toThrow()
    fail = false
    buffered.sink('kept')
    buffered.flush()
    expect(writes).toEqual(['kept'])
  })

  it('keeps every JSON line of a logger intact and in order', () => {
    const { buffered, writes, tick } = setup()
    const logger = createJsonLogger({ level: 'info', sink: buffered.sink, clock: () => 0 })
    logger.info('one', { text: 'line\nbreak' })
    logger.warn('two')
    tick()
    const lines = (writes[0] ?? '').split('\n').map((line) => JSON.parse(line) as object)
    expect(lines).toEqual([
      { time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'one', text: 'line\nbreak' },
      { time: '1970-01-01T00:00:00.000Z', level: 'warning', msg: 'two' },
    ])
  })
})

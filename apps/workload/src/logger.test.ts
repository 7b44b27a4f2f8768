import { describe, expect, it } from 'vitest'
import { createJsonLogger } from './logger.js'

const setup = (level: 'debug' | 'info' | 'warning' | 'error' = 'debug') => {
  const lines: string[] = []
  const logger = createJsonLogger({ level, sink: (line) => lines.push(line), clock: () => 0 })
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as object) }
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line with time, level, msg first, then the fields', () => {
    const { logger, lines } = setup()
    logger.info('listening', { port: 8000 })
    expect(lines).toEqual([
      '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"listening","port":8000}',
    ])
  })

  it('names the levels as APP_LOG_LEVEL does, warn becoming "warning"', () => {
    const { logger, records } = setup()
    logger.debug('a')
    logger.info('b')
    logger.warn('c')
    logger.error('d')
    expect(records().map((r) => (r as { level: string }).level)).toEqual([
      'debug',
      'info',
      'warning',
      'error',
    ])
  })

  it('drops lines below the configured level', () => {
    const { logger, records } = setup('warning')
    logger.debug('a')
    logger.info('b')
    logger.warn('c')
    logger.error('d')
    expect(records().map((r) => (r as { msg: string }).msg)).toEqual(['c', 'd'])
  })

  it('never lets a field overwrite the envelope', () => {
    const { logger, records } = setup()
    logger.info('real', { msg: 'fake', level: 'error', time: 'x' })
    expect(records()[0]).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'real',
      field_msg: 'fake',
      field_level: 'error',
      field_time: 'x',
    })
  })

  it('writes errors as name and message, without the stack', () => {
    const { logger, records } = setup()
    logger.error('publish failed', { error: new TypeError('boom') })
    expect(records()[0]).toMatchObject({ error: { name: 'TypeError', message: 'boom' } })
  })

  it('writes bigints as strings', () => {
    const { logger, records } = setup()
    logger.info('big', { id: 2n ** 64n })
    expect(records()[0]).toMatchObject({ id: '18446744073709551616' })
  })

  it('keeps the envelope when the fields are circular, instead of throwing', () => {
    const { logger, records } = setup()
    const loop: Record<string, unknown> = {}
    loop['self'] = loop
    expect(() => logger.warn('odd', { loop })).not.toThrow()
    expect(records()[0]).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'warning',
      msg: 'odd',
      log_error: 'fields could not be serialised',
    })
  })
})

import { describe, expect, it } from 'vitest'
import { QueueUnavailableError } from './port.js'

describe('QueueUnavailableError', () => {
  it('keeps its name and cause so logs can tell an outage from a bug', () => {
    const cause = new Error('SQLITE_BUSY')
    const error = new QueueUnavailableError('queue is locked', { cause })
    expect(error.name).toBe('QueueUnavailableError')
    expect(error.cause).toBe(cause)
    expect(error).toBeInstanceOf(Error)
  })
})

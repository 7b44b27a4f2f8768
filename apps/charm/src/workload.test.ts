import { describe, expect, it } from 'vitest'
import { describeFailure, lastLine, summariseChangeError } from './workload.js'

describe('describeFailure', () => {
  it('names the failed task of a Pebble change error', () => {
    const err =
      'cannot perform the following tasks:\n- Start service "webhook-router" (cannot start service: exited quickly with code 1)'
    expect(describeFailure({ name: 'ChangeError', err, message: err })).toBe(
      'Start service "webhook-router" (cannot start service: exited quickly with code 1)',
    )
  })

  it('joins several failed tasks', () => {
    expect(summariseChangeError('cannot perform the following tasks:\n- A (x)\n- B (y)\n')).toBe(
      'A (x); B (y)',
    )
  })

  it('keeps a one-line change error as it is', () => {
    expect(summariseChangeError('timeout after 30s')).toBe('timeout after 30s')
  })

  it('reports an exec failure by its exit code and last stderr line', () => {
    expect(describeFailure({ exitCode: 2, stderr: 'progress\nboom\n' })).toBe('exit code 2: boom')
    expect(describeFailure({ exitCode: 2, stderr: '' })).toBe('exit code 2')
  })

  it('falls back to the first line of any other error', () => {
    expect(describeFailure(new Error('socket gone\nstack'))).toBe('socket gone')
    expect(describeFailure('plain')).toBe('plain')
  })

  it('finds the last non-empty line', () => {
    expect(lastLine('a\nb\n\n')).toBe('b')
  })
})

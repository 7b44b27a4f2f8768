import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createBodyAdmission } from './body-admission.js'

const MiB = 1024 * 1024

/** A request with these headers and a response that closes when the test says so. */
function exchange(headers: Record<string, string>) {
  const response = Object.assign(new EventEmitter(), { destroyed: false })
  return {
    request: { headers } as unknown as IncomingMessage,
    response: response as unknown as ServerResponse,
    close: () => response.emit('close'),
  }
}

function harness(maxBytesInFlight = 2 * MiB, maxBodyBytes = MiB) {
  const admit = createBodyAdmission({ maxBytesInFlight, maxBodyBytes })
  const started: string[] = []
  const send = (name: string, headers: Record<string, string>) => {
    const pair = exchange(headers)
    admit(pair.request, pair.response, () => started.push(name))
    return pair
  }
  return { started, send }
}

describe('createBodyAdmission', () => {
  it('starts requests at once while their declared bodies fit the budget', () => {
    const { started, send } = harness()
    send('a', { 'content-length': String(MiB) })
    send('b', { 'content-length': String(MiB) })
    expect(started).toEqual(['a', 'b'])
  })

  it('holds a request whose body does not fit until an earlier response closes, in order', () => {
    const { started, send } = harness()
    const a = send('a', { 'content-length': String(MiB) })
    send('b', { 'content-length': String(MiB) })
    send('c', { 'content-length': String(MiB) })
    send('d', { 'content-length': '10' })
    expect(started).toEqual(['a', 'b'])
    a.close()
    expect(started).toEqual(['a', 'b', 'c'])
  })

  it('counts a chunked body as the largest body allowed', () => {
    const { started, send } = harness(MiB + 10)
    send('chunked', { 'transfer-encoding': 'chunked' })
    send('small', { 'content-length': '100' })
    expect(started).toEqual(['chunked'])
  })

  it('never holds requests without a body to read: no body, or one refused unread', () => {
    const { started, send } = harness(MiB)
    send('a', { 'content-length': String(MiB) })
    send('health', {})
    send('too-large', { 'content-length': String(2 * MiB) })
    expect(started).toEqual(['a', 'health', 'too-large'])
  })

  it('admits one body larger than the whole budget when nothing else is in flight', () => {
    const { started, send } = harness(1024, MiB)
    send('a', { 'content-length': String(MiB) })
    expect(started).toEqual(['a'])
  })

  it('skips a waiting request whose client went away', () => {
    const { started, send } = harness(MiB)
    const a = send('a', { 'content-length': String(MiB) })
    const gone = send('gone', { 'content-length': String(MiB) })
    send('c', { 'content-length': String(MiB) })
    ;(gone.response as unknown as { destroyed: boolean }).destroyed = true
    a.close()
    expect(started).toEqual(['a', 'c'])
  })
})

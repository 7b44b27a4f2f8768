import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signBody, verifySignature } from './signature.js'

const body = randomBytes(16)
const secret = randomBytes(16).toString('hex')
const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

describe('verifySignature', () => {
  it('accepts the sha256 HMAC of the raw body under the current secret', () => {
    expect(verifySignature(body, signature, { current: secret })).toEqual({
      ok: true,
      matched: 'current',
    })
  })

  it('rejects the signature with its last character dropped', () => {
    expect(verifySignature(body, signature.slice(0, -1), { current: secret })).toEqual({
      ok: false,
      reason: 'mismatch',
    })
  })

  it('rejects uppercase hex, as the reference compares the string as sent', () => {
    const upper = `sha256=${signature.slice('sha256='.length).toUpperCase()}`
    expect(verifySignature(body, upper, { current: secret }).ok).toBe(false)
  })

  it('rejects a correct digest with surrounding whitespace or another prefix', () => {
    expect(verifySignature(body, ` ${signature}`, { current: secret }).ok).toBe(false)
    expect(verifySignature(body, signature.replace('sha256', 'sha1'), { current: secret }).ok).toBe(
      false,
    )
  })

  it('accepts the previous secret during a rotation and says so', () => {
    expect(verifySignature(body, signature, { current: 'new-secret', previous: secret })).toEqual({
      ok: true,
      matched: 'previous',
    })
  })

  it('rejects a signature made with a secret that is neither current nor previous', () => {
    const check = verifySignature(body, signBody(body, 'stolen'), { current: 'a', previous: 'b' })
    expect(check).toEqual({ ok: false, reason: 'mismatch' })
  })

  it('reports a missing header', () => {
    expect(verifySignature(body, undefined, { current: secret })).toEqual({
      ok: false,
      reason: 'missing-header',
    })
  })

  it('reports that there is nothing to verify against when no secret is configured', () => {
    expect(verifySignature(body, signature, {})).toEqual({ ok: false, reason: 'no-secret' })
  })

  it('signs the bytes, not a re-encoded string, so non-UTF-8 bodies verify', () => {
    const invalidUtf8 = Uint8Array.from([0xff, 0xfe, 0x00, 0x7b])
    expect(
      verifySignature(invalidUtf8, signBody(invalidUtf8, secret), { current: secret }).ok,
    ).toBe(true)
  })
})

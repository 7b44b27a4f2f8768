import { describe, expect, it } from 'vitest'
import { boundaryOf, decodeMultipart, encodeMultipart, newBoundary } from './multipart.js'

describe('multipart for the files API (§8)', () => {
  it('makes 32-character boundaries', () => {
    expect(newBoundary()).toMatch(/^[0-9a-f]{32}$/)
  })

  it('round-trips parts, binary bodies and quoted file names included', () => {
    const boundary = newBoundary()
    const parts = [
      { name: 'request', contentType: 'application/json', body: Buffer.from('{"action":"write"}') },
      {
        name: 'files',
        filename: '/etc/"odd".bin',
        contentType: 'application/octet-stream',
        body: Buffer.from([0, 13, 10, 45, 45, 255]),
      },
    ]
    expect(decodeMultipart(encodeMultipart(boundary, parts), boundary)).toEqual(parts)
  })

  it('reads the boundary from a content type', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc123')).toBe('abc123')
    expect(boundaryOf('multipart/form-data; boundary="q q"')).toBe('q q')
    expect(boundaryOf('application/json')).toBeUndefined()
  })

  it('rejects a body that is not terminated', () => {
    expect(() =>
      decodeMultipart(
        Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nhello'),
        'b',
      ),
    ).toThrow('multipart body is not terminated')
  })
})

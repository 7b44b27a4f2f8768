import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { xzStore } from './xz.js'

/** Decodes with Python's lzma module, the decoder the Grafana dashboard consumer uses. */
function pythonLzmaDecompress(data: Buffer): Buffer {
  const script =
    'import sys, lzma; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))'
  return execFileSync('/usr/bin/python3', ['-c', script], { input: data })
}

describe('xzStore', () => {
  it('starts with the xz magic bytes and ends with the footer magic', () => {
    const stream = xzStore(Buffer.from('hello'))
    expect(stream.subarray(0, 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
    expect(stream.subarray(-2).toString('latin1')).toBe('YZ')
    expect(stream.length % 4).toBe(0)
  })

  it('round-trips through Python lzma for small, empty and multi-chunk inputs', () => {
    const large = Buffer.alloc(200_000)
    for (let i = 0; i < large.length; i++) large[i] = (i * 31) % 251
    for (const input of [Buffer.from('{"title":"dashboard"}'), Buffer.alloc(0), large]) {
      expect(pythonLzmaDecompress(xzStore(input)).equals(input)).toBe(true)
    }
  })
})

import { crc32 } from 'node:zlib'

/** LZMA2 "uncompressed chunk" payloads are at most 64 KiB. */
const CHUNK = 0x10000
const STREAM_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])
const FOOTER_MAGIC = Buffer.from('YZ', 'latin1')
/** Stream flags: check type 1 = CRC32. */
const STREAM_FLAGS = Buffer.from([0x00, 0x01])

/**
 * Wraps bytes in a valid `.xz` container whose LZMA2 data is a run of *uncompressed* chunks.
 * Node has no LZMA encoder, but the Grafana dashboard relation expects base64 of an `.xz`/LZMA
 * stream (Python's `lzma.decompress` on the consumer side); this produces one without
 * compressing, which `lzma.decompress` and `xz -d` read like any other stream.
 *
 * @example
 * ```ts
 * xzStore(Buffer.from('{"title":"x"}')).subarray(0, 6) // fd 37 7a 58 5a 00
 * ```
 */
export function xzStore(data: Uint8Array): Buffer {
  const streamHeader = Buffer.concat([STREAM_MAGIC, STREAM_FLAGS, u32(crc32(STREAM_FLAGS))])

  // Block header: size byte, flags (one filter, no sizes), LZMA2 filter (id 0x21, one property
  // byte: dictionary size code 0x16 = 8 MiB is plenty for stored chunks), padding, CRC32.
  const headerBody = Buffer.from([0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00])
  const blockHeader = Buffer.concat([headerBody, u32(crc32(headerBody))])

  const chunks: Buffer[] = []
  for (let offset = 0; offset < data.length; offset += CHUNK) {
    const part = data.subarray(offset, Math.min(offset + CHUNK, data.length))
    // 0x01 = uncompressed chunk with dictionary reset (first), 0x02 = without reset.
    const control = offset === 0 ? 0x01 : 0x02
    chunks.push(Buffer.from([control, (part.length - 1) >> 8, (part.length - 1) & 0xff]))
    chunks.push(Buffer.from(part))
  }
  chunks.push(Buffer.from([0x00]))
  const compressed = Buffer.concat(chunks)
  const blockPadding = Buffer.alloc((4 - (compressed.length % 4)) % 4)
  const check = u32(crc32(data))
  const unpaddedSize = blockHeader.length + compressed.length + check.length

  const indexBody = Buffer.concat([
    Buffer.from([0x00]),
    varint(1),
    varint(unpaddedSize),
    varint(data.length),
  ])
  const indexPadded = Buffer.concat([indexBody, Buffer.alloc((4 - (indexBody.length % 4)) % 4)])
  const index = Buffer.concat([indexPadded, u32(crc32(indexPadded))])

  const footerBody = Buffer.concat([u32(index.length / 4 - 1), STREAM_FLAGS])
  const footer = Buffer.concat([u32(crc32(footerBody)), footerBody, FOOTER_MAGIC])

  return Buffer.concat([streamHeader, blockHeader, compressed, blockPadding, check, index, footer])
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4)
  buffer.writeUInt32LE(value >>> 0)
  return buffer
}

/** xz's multibyte integer: 7 bits per byte, least significant first. */
function varint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

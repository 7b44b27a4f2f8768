import { describe, expect, it } from 'vitest'
import { buildKombuPayload, decodeKombuPayload, serialiseJob } from './kombu-envelope.js'

const job = {
  labels: ['large', 'x64'],
  status: 'queued',
  url: 'https://api.github.com/repos/octo-org/octo-repo/actions/jobs/29679449',
} as const
const jobJson =
  '{"labels":["large","x64"],"status":"queued","url":"https://api.github.com/repos/octo-org/octo-repo/actions/jobs/29679449"}'

describe('serialiseJob', () => {
  it('writes compact JSON with keys labels, status, url in that order', () => {
    expect(serialiseJob(job)).toBe(jobJson)
  })

  it('keeps label order and non-ASCII text as given', () => {
    const text = serialiseJob({ labels: ['b', 'é'], status: 'queued', url: 'https://x.example/a' })
    expect(text).toBe('{"labels":["b","é"],"status":"queued","url":"https://x.example/a"}')
  })

  it('writes an empty label list as an empty array', () => {
    expect(serialiseJob({ labels: [], status: 'queued', url: 'https://x.example/a' })).toBe(
      '{"labels":[],"status":"queued","url":"https://x.example/a"}',
    )
  })
})

describe('buildKombuPayload', () => {
  it('produces the exact bytes kombu 5 stores for SimpleQueue.put(job JSON)', () => {
    // Expected text produced by Python's json.dumps of kombu's envelope for the same message.
    expect(buildKombuPayload('large', jobJson, '0b3c3f5e-6a35-4a8e-9d0c-2f1f7f4b8a11')).toBe(
      '{"body": "eyJsYWJlbHMiOlsibGFyZ2UiLCJ4NjQiXSwic3RhdHVzIjoicXVldWVkIiwidXJsIjoiaHR0cHM6Ly9hcGkuZ2l0aHViLmNvbS9yZXBvcy9vY3RvLW9yZy9vY3RvLXJlcG8vYWN0aW9ucy9qb2JzLzI5Njc5NDQ5In0=", "content-encoding": "utf-8", "content-type": "text/plain", "headers": {}, "properties": {"delivery_mode": 2, "delivery_info": {"exchange": "large", "routing_key": "large"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "0b3c3f5e-6a35-4a8e-9d0c-2f1f7f4b8a11"}}',
    )
  })

  it('escapes non-ASCII, DEL, quotes and control characters the way Python json.dumps does', () => {
    const flavour = 'grün-🚀"\\\n\u007f'
    const payload = buildKombuPayload(
      flavour,
      '{"labels":["é"],"status":"queued","url":"https://x.example/y"}',
      't',
    )
    expect(payload).toBe(
      '{"body": "eyJsYWJlbHMiOlsiw6kiXSwic3RhdHVzIjoicXVldWVkIiwidXJsIjoiaHR0cHM6Ly94LmV4YW1wbGUveSJ9", "content-encoding": "utf-8", "content-type": "text/plain", "headers": {}, "properties": {"delivery_mode": 2, "delivery_info": {"exchange": "gr\\u00fcn-\\ud83d\\ude80\\"\\\\\\n\\u007f", "routing_key": "gr\\u00fcn-\\ud83d\\ude80\\"\\\\\\n\\u007f"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "t"}}',
    )
    expect(JSON.parse(payload).properties.delivery_info.exchange).toBe(flavour)
  })

  it('base64-encodes the UTF-8 bytes of the job JSON so the body decodes to the same text', () => {
    const text = '{"labels":["日本"],"status":"queued","url":"https://x.example/y"}'
    const envelope = JSON.parse(buildKombuPayload('small', text, 'tag'))
    expect(Buffer.from(envelope.body, 'base64').toString('utf8')).toBe(text)
  })

  it("refuses the consumer's __END__ control body", () => {
    expect(() => buildKombuPayload('large', '__END__', 'tag')).toThrow(/control body __END__/)
  })

  it('refuses an empty flavour or delivery tag', () => {
    expect(() => buildKombuPayload('', jobJson, 'tag')).toThrow(/non-empty/)
    expect(() => buildKombuPayload('large', jobJson, '')).toThrow(/non-empty/)
  })
})

describe('decodeKombuPayload', () => {
  it('returns the job JSON from an envelope we built', () => {
    expect(decodeKombuPayload(buildKombuPayload('large', jobJson, 'tag'))).toBe(jobJson)
  })

  it('reads a requeued envelope with kombu key order and the redelivered flag', () => {
    const body = Buffer.from(jobJson).toString('base64')
    const requeued = `{"body": "${body}", "properties": {"body_encoding": "base64", "delivery_tag": "x"}, "content-type": "text/plain", "content-encoding": "utf-8", "headers": {"X-Process-Count": 1}, "redelivered": true}`
    expect(decodeKombuPayload(requeued)).toBe(jobJson)
  })

  it('unwraps an application/json string literal body as kombu does', () => {
    const body = Buffer.from(JSON.stringify(jobJson)).toString('base64')
    const envelope = `{"body": "${body}", "content-type": "application/json", "properties": {"body_encoding": "base64"}}`
    expect(decodeKombuPayload(envelope)).toBe(jobJson)
  })

  it('reads a body stored without body_encoding as plain text', () => {
    expect(
      decodeKombuPayload(JSON.stringify({ body: jobJson, 'content-type': 'text/plain' })),
    ).toBe(jobJson)
  })

  it('returns undefined for text that is not a kombu envelope', () => {
    expect(decodeKombuPayload('not json')).toBeUndefined()
    expect(decodeKombuPayload('{"payload": 1}')).toBeUndefined()
    expect(decodeKombuPayload('{"body": "x", "properties": {"body_encoding": "zlib"}}')).toBe(
      undefined,
    )
  })
})

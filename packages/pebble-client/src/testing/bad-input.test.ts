import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient

beforeAll(async () => {
  double = await startPebbleDouble()
  client = double.client()
})
afterAll(async () => {
  await double.close()
})

const BODIES = [
  '',
  'null',
  '[]',
  '"text"',
  '{"action": 7}',
  '{"services": "svc", "action": "start"}',
  '{not json',
  '{"command": [1, 2]}',
]
const POSTS = [
  '/v1/layers',
  '/v1/services',
  '/v1/checks',
  '/v1/signals',
  '/v1/exec',
  '/v1/files',
  '/v1/changes/1',
]

describe('bad input (§1.3–§1.4)', () => {
  it.each(POSTS)(
    'POST %s answers garbage with a 4xx error envelope and keeps serving',
    async (path) => {
      for (const body of BODIES) {
        const raw = await client.rawRequest({
          method: 'POST',
          path,
          headers: { 'Content-Type': 'application/json' },
          body,
        })
        const envelope = JSON.parse(raw.body.toString()) as {
          type: string
          result: { message: string }
        }
        expect(raw.statusCode, `${path} ${body}`).toBeGreaterThanOrEqual(400)
        expect(raw.statusCode, `${path} ${body}`).toBeLessThan(500)
        expect(envelope.type).toBe('error')
        expect(envelope.result.message).not.toContain('\n')
      }
      expect((await client.systemInfo()).version).toBe('v1.32.1')
    },
  )

  it('a malformed percent-escape in a path is a 404, not a crash', async () => {
    await expect(client.request('GET', '/v1/changes/%ZZ')).rejects.toMatchObject({
      statusCode: 404,
    })
  })

  it('names that exist on Object.prototype are not mistaken for services or actions', async () => {
    await expect(client.start(['toString'])).rejects.toMatchObject({
      statusCode: 400,
      message: 'cannot start services: service "toString" does not exist',
    })
    await expect(
      client.request('POST', '/v1/services', { body: { action: 'constructor', services: ['x'] } }),
    ).rejects.toMatchObject({
      message: 'invalid action "constructor"',
    })
    await expect(client.exec(['true'], { serviceContext: 'hasOwnProperty' })).rejects.toMatchObject(
      {
        message: 'context service "hasOwnProperty" not found',
      },
    )
  })
})

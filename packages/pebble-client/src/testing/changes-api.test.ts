import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TimeoutError, type PebbleClient } from '../index.js'
import { startPebbleDouble, type PebbleDouble } from './index.js'

let double: PebbleDouble
let client: PebbleClient

beforeEach(async () => {
  double = await startPebbleDouble({ okayDelayMs: 400 })
  client = double.client()
  await client.addLayer('base', {
    services: { svc: { override: 'replace', command: 'sleep 1000', 'kill-delay': '100ms' } },
  })
})
afterEach(async () => {
  await double.close()
})

describe('changes and tasks (§6) and the envelope (§1)', () => {
  it('§1.3 service actions answer 202 async with the change id and result null', async () => {
    const raw = await client.rawRequest({
      method: 'POST',
      path: '/v1/services',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'start', services: ['svc'] }),
    })
    expect(raw.statusCode).toBe(202)
    expect(raw.headers['content-type']).toBe('application/json')
    expect(JSON.parse(raw.body.toString())).toEqual({
      type: 'async',
      'status-code': 202,
      status: 'Accepted',
      change: '1',
      result: null,
    })
  })

  it('§1.4 unknown paths are 404 and unsupported verbs 405, without a kind', async () => {
    await expect(client.request('GET', '/v1/nowhere')).rejects.toMatchObject({
      statusCode: 404,
      status: 'Not Found',
      message: 'invalid API endpoint requested',
      kind: undefined,
    })
    const raw = await client.rawRequest({ method: 'PUT' as 'GET', path: '/v1/plan', headers: {} })
    expect(JSON.parse(raw.body.toString())).toEqual({
      type: 'error',
      'status-code': 405,
      status: 'Method Not Allowed',
      result: { message: 'method "PUT" not allowed' },
    })
  })

  it('§1.5 change and task ids are sequential decimal strings with separate counters', async () => {
    const first = await client.start(['svc'])
    const second = await client.stop(['svc'])
    expect([first, second]).toEqual(['1', '2'])
    const change = await client.waitChange(second)
    expect(change.tasks?.[0]?.id).toBe('2')
  })

  it('§6.2 a change is Doing while its task is, then Done and ready with ready-time', async () => {
    const id = await client.start(['svc'])
    const doing = await client.getChange(id)
    expect(doing).toMatchObject({ status: 'Doing', ready: false })
    expect(doing['ready-time']).toBeUndefined()
    expect(doing.tasks?.[0]).toMatchObject({
      status: 'Doing',
      progress: { label: '', done: 1, total: 1 },
    })
    const done = await client.waitChange(id)
    expect(done).toMatchObject({ status: 'Done', ready: true, 'ready-time': expect.any(String) })
  })

  it("§6.1 wait with a timeout answers 504 with Go's duration when the change is not ready", async () => {
    const id = await client.start(['svc'])
    await expect(
      client.request('GET', `/v1/changes/${id}/wait`, { query: { timeout: '100ms' } }),
    ).rejects.toMatchObject({
      statusCode: 504,
      status: 'Gateway Timeout',
      message: 'timed out waiting for change after 100ms',
    })
  })

  it('§6.1 waitChange turns a deadline into a TimeoutError carrying the change id', async () => {
    const id = await client.start(['svc'])
    const error = await client.waitChange(id, { timeout: 0.1 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).changeId).toBe(id)
  })

  it('§6.1 unknown changes are 404, a bad wait timeout is 400', async () => {
    await expect(client.getChange('42')).rejects.toMatchObject({
      statusCode: 404,
      message: 'cannot find change with id "42"',
    })
    await expect(client.waitChange('42')).rejects.toMatchObject({ statusCode: 404 })
    const id = await client.start(['svc'])
    await expect(
      client.request('GET', `/v1/changes/${id}/wait`, { query: { timeout: 'soon' } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^invalid timeout: /),
    })
  })

  it('§6.1 lists changes by select and service, and rejects an unknown select', async () => {
    const running = await client.start(['svc'])
    expect((await client.getChanges()).map((change) => change.id)).toEqual([running])
    expect(await client.getChanges({ select: 'ready' })).toEqual([])
    await client.waitChange(running)
    expect(
      (await client.getChanges({ select: 'all', service: 'svc' })).map((change) => change.id),
    ).toEqual([running])
    expect(await client.getChanges({ select: 'all', service: 'other' })).toEqual([])
    await expect(
      client.request('GET', '/v1/changes', { query: { select: 'some' } }),
    ).rejects.toMatchObject({
      message: 'select should be one of: all,in-progress,ready',
    })
  })

  it('§6.1 aborting a ready change is 400 "nothing pending", an unknown one 404', async () => {
    const id = await client.start(['svc'])
    await client.waitChange(id)
    await expect(client.abortChange(id)).rejects.toMatchObject({
      statusCode: 400,
      message: `cannot abort change ${id} with nothing pending`,
    })
    await expect(client.abortChange('77')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('§6.2 when a start task fails, later tasks of its lane are put on Hold', async () => {
    await client.addLayer('more', {
      services: {
        crash: { override: 'replace', command: 'sh -c "exit 1"', 'backoff-delay': '10s' },
        // `requires` puts both in one lane; `after` alone would not (§5.2).
        later: {
          override: 'replace',
          command: 'sleep 1000',
          after: ['crash'],
          requires: ['crash'],
        },
      },
    })
    const id = await client.start(['crash', 'later'])
    const change = await client.waitChange(id)
    expect(change.status).toBe('Error')
    expect(change.tasks?.map((task) => task.status)).toEqual(['Error', 'Hold'])
    expect((await client.getServices(['later']))[0]?.current).toBe('inactive')
  })
})

import { describe, expect, it } from 'vitest'

import { nextPageUrl, parseDeliveryItem, parseDeliveryPage } from './deliveries.js'

const item = {
  id: 12,
  guid: '0b989ba4-242f-11e5-81e1-c7b6966d2516',
  delivered_at: '2019-06-03T00:57:16Z',
  redelivery: false,
  duration: 0.27,
  status: 'failed to connect',
  status_code: 502,
  event: 'workflow_job',
  action: 'queued',
  installation_id: null,
  repository_id: null,
}

describe('parseDeliveryItem', () => {
  it('reads a GitHub hook-delivery-item', () => {
    expect(parseDeliveryItem(item)).toEqual({
      id: 12,
      guid: item.guid,
      deliveredAt: new Date('2019-06-03T00:57:16Z'),
      status: 'failed to connect',
      statusCode: 502,
      event: 'workflow_job',
      action: 'queued',
      redelivery: false,
    })
  })

  it('accepts a null action, as GitHub sends for ping', () => {
    expect(parseDeliveryItem({ ...item, event: 'ping', action: null }).action).toBeUndefined()
  })

  it('names every missing required field', () => {
    const { status: _s, delivered_at: _d, ...rest } = item
    expect(() => parseDeliveryItem({ ...rest, event: null })).toThrow(
      'Delivery 12 is missing required fields: status, delivered_at, event',
    )
  })

  it('rejects a delivery without an id', () => {
    const { id: _id, ...rest } = item
    expect(() => parseDeliveryItem(rest)).toThrow('A delivery is missing required fields: id')
  })

  it('names fields of the wrong type', () => {
    expect(() => parseDeliveryItem({ ...item, delivered_at: 'yesterday', id: 12 })).toThrow(
      'Delivery 12 has invalid fields: delivered_at',
    )
  })

  it('rejects a non-object', () => {
    expect(() => parseDeliveryItem('x')).toThrow('not an object')
  })
})

describe('parseDeliveryPage', () => {
  it('rejects a body that is not a list', () => {
    expect(() => parseDeliveryPage({ message: 'hi' })).toThrow('not a list')
  })
})

describe('nextPageUrl', () => {
  it('finds rel="next" among other relations', () => {
    const link =
      '<https://api.github.com/x?cursor=v1_2>; rel="prev", <https://api.github.com/x?per_page=2&cursor=v1_9>; rel="next"'
    expect(nextPageUrl(link)).toBe('https://api.github.com/x?per_page=2&cursor=v1_9')
  })

  it('returns undefined without a next relation or header', () => {
    expect(nextPageUrl('<https://api.github.com/x>; rel="prev"')).toBeUndefined()
    expect(nextPageUrl(undefined)).toBeUndefined()
  })
})

/**
 * The MongoDB wire double the charm e2e test runs the real workload against: it must answer
 * the official driver the way a server does for the operations the router's queue uses.
 */
import { MongoClient } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMongoDouble, type MongoDouble } from '../fake-juju/mongo-double.mjs'

let double: MongoDouble
let client: MongoClient

beforeAll(async () => {
  double = await startMongoDouble()
  client = new MongoClient(double.uri('db'), { serverSelectionTimeoutMS: 2000 })
  await client.connect()
})

afterAll(async () => {
  await client.close()
  await double.close()
})

describe('the MongoDB wire double', () => {
  it('answers the handshake as a writable primary', async () => {
    const hello = await client.db('db').command({ hello: 1 })
    expect(hello['isWritablePrimary']).toBe(true)
  })

  it('rejects a second document with the same _id with error 11000', async () => {
    const items = client.db('db').collection('unique')
    await items.insertOne({ _id: 'key' as never, n: 1 })
    await expect(items.insertOne({ _id: 'key' as never, n: 2 })).rejects.toMatchObject({
      code: 11000,
    })
    expect(await items.findOne({ _id: 'key' as never })).toEqual({ _id: 'key', n: 1 })
  })

  it('upserts, updates with $set and deletes by $in', async () => {
    const items = client.db('db').collection('rows')
    const upsert = await items.updateOne(
      { name: 'a' },
      { $set: { name: 'a', state: 'new' } },
      { upsert: true },
    )
    expect(upsert.upsertedCount).toBe(1)
    await items.insertOne({ name: 'b', state: 'new' })
    const many = await items.updateMany({ name: { $in: ['a', 'b'] } }, { $set: { state: 'done' } })
    expect(many.modifiedCount).toBe(2)
    expect(await items.find({}, { projection: { _id: 0, state: 1 } }).toArray()).toEqual([
      { state: 'done' },
      { state: 'done' },
    ])
    const removed = await items.deleteMany({ name: { $in: ['a'] } })
    expect(removed.deletedCount).toBe(1)
  })

  it('groups documents for queue depths', async () => {
    const messages = client.db('db').collection('messages')
    await messages.insertMany([{ queue: 'small' }, { queue: 'small' }, { queue: 'large' }])
    const depths = await messages
      .aggregate([{ $group: { _id: '$queue', waiting: { $sum: 1 } } }])
      .toArray()
    expect(depths).toEqual([
      { _id: 'small', waiting: 2 },
      { _id: 'large', waiting: 1 },
    ])
  })

  it('says which command it does not know', async () => {
    await expect(client.db('db').command({ shutdown: 1 })).rejects.toThrow(
      "no such command: 'shutdown'",
    )
  })
})

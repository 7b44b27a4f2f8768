/** The FerretDB the MongoDB tests run against: started, killed, restarted and stopped cleanly. */
import { existsSync } from 'node:fs'
import { MongoClient } from 'mongodb'
import { afterEach, describe, expect, it } from 'vitest'
import { startFerretDb, type FerretDb } from './mongo-server.js'

const started: FerretDb[] = []
afterEach(async () => {
  for (const ferret of started.splice(0)) await ferret.stop()
})
async function start(): Promise<FerretDb> {
  const ferret = await startFerretDb()
  started.push(ferret)
  return ferret
}

/** Whether a process with this id still exists (a reaped child does not). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function withClient<T>(uri: string, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 })
  try {
    return await work(client)
  } finally {
    await client.close()
  }
}

describe('startFerretDb', () => {
  it('serves the MongoDB wire protocol on a free 127.0.0.1 port as a writable primary', async () => {
    const ferret = await start()
    expect(ferret.port).toBeGreaterThan(0)
    expect(ferret.uri('db')).toBe(`mongodb://127.0.0.1:${ferret.port}/db`)
    const hello = await withClient(ferret.uri('db'), (client) =>
      client.db('db').command({ hello: 1 }),
    )
    expect(hello['isWritablePrimary']).toBe(true)
  })

  it('gives each server its own port and data folder', async () => {
    const [one, two] = await Promise.all([start(), start()])
    expect(one.port).not.toBe(two.port)
    expect(one.dataDir).not.toBe(two.dataDir)
  })

  it('stops on SIGTERM, waits for the exit and removes its data folder', async () => {
    const ferret = await startFerretDb()
    const pid = ferret.pid
    expect(alive(pid)).toBe(true)
    await ferret.stop()
    expect(alive(pid)).toBe(false)
    expect(existsSync(ferret.dataDir)).toBe(false)
    await expect(ferret.stop()).resolves.toBeUndefined()
  })

  it('is gone after kill() and comes back on the same port with the same data', async () => {
    const ferret = await start()
    const uri = ferret.uri('keep')
    await withClient(uri, (client) => client.db('keep').collection('c').insertOne({ n: 1 }))
    const { port, pid } = ferret
    await ferret.kill()
    expect(alive(pid)).toBe(false)
    expect(ferret.pid).toBeUndefined()
    await expect(
      withClient(uri, (client) => client.db('keep').command({ ping: 1 })),
    ).rejects.toThrow()

    await ferret.restart()
    expect(ferret.port).toBe(port)
    const docs = await withClient(uri, (client) =>
      client
        .db('keep')
        .collection('c')
        .find({}, { projection: { _id: 0 } })
        .toArray(),
    )
    expect(docs).toEqual([{ n: 1 }])
  })

  it('refuses to restart while it still runs', async () => {
    const ferret = await start()
    await expect(ferret.restart()).rejects.toThrow(/still running/)
  })
})

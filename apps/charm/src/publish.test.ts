import type { HookMemo } from '@webhook-router/charm-machine'
import { describe, expect, it } from 'vitest'
import type { CharmModel, DatabagOwner } from './model.js'
import { forgetPublishedAppData, publishRelationData } from './publish.js'

/** An in-memory model with one ingress relation (id 3), recording every bag read and write. */
function ingressModel(options: { leader?: boolean; address?: string } = {}) {
  const bags: Record<'app' | 'unit', Record<string, string>> = { app: {}, unit: {} }
  const log: string[] = []
  let address = options.address ?? '10.1.0.7'
  const model: CharmModel = {
    appName: 'router',
    unitName: 'router/0',
    modelName: 'prod',
    modelUuid: 'uuid',
    isLeader: async () => options.leader ?? true,
    config: async () => ({}),
    relationIds: async (endpoint) => (endpoint === 'ingress' ? [3] : []),
    remoteApp: async () => 'traefik',
    readBag: async (_endpoint, _id, bag: DatabagOwner) => {
      log.push(`read ${bag}`)
      return { ...(bag === 'local-app' ? bags.app : bags.unit) }
    },
    readRemoteUnitBags: async () => [],
    writeBag: async (_endpoint, _id, bag, changes) => {
      if (Object.keys(changes).length === 0) return
      log.push(`write ${bag}`)
      Object.assign(bags[bag], changes)
    },
    secretGet: async () => ({}),
    bindAddress: async () => address,
    openPort: async () => undefined,
    log: async () => undefined,
  }
  return { model, bags, log, moveTo: (next: string) => (address = next) }
}

describe('publishRelationData with a memo', () => {
  it('reads and writes both ingress bags the first time', async () => {
    const { model, log, bags } = ingressModel()
    await publishRelationData(model, 'ingress', {})
    expect(log).toEqual(['read local-unit', 'write unit', 'read local-app', 'write app'])
    expect(JSON.parse(bags.unit['ip'] ?? 'null')).toBe('10.1.0.7')
  })

  it('reads a bag it just wrote once more before trusting it, then skips it', async () => {
    const { model, log } = ingressModel()
    const memo: HookMemo = {}
    await publishRelationData(model, 'ingress', memo)
    log.length = 0
    await publishRelationData(model, 'ingress', memo)
    expect(log).toEqual(['read local-unit', 'read local-app'])
    log.length = 0
    await publishRelationData(model, 'ingress', memo)
    expect(log).toEqual([])
  })

  it('reads and rewrites the unit bag when the address moved', async () => {
    const { model, log, bags, moveTo } = ingressModel()
    const memo: HookMemo = {}
    await publishRelationData(model, 'ingress', memo)
    await publishRelationData(model, 'ingress', memo)
    log.length = 0
    moveTo('10.1.0.99')
    await publishRelationData(model, 'ingress', memo)
    expect(log).toEqual(['read local-unit', 'write unit'])
    expect(JSON.parse(bags.unit['ip'] ?? 'null')).toBe('10.1.0.99')
  })

  it('reads the app bag again after forgetPublishedAppData (a new leader)', async () => {
    const { model, log } = ingressModel()
    const memo: HookMemo = {}
    await publishRelationData(model, 'ingress', memo)
    await publishRelationData(model, 'ingress', memo)
    forgetPublishedAppData(memo)
    log.length = 0
    await publishRelationData(model, 'ingress', memo)
    expect(log).toEqual(['read local-app'])
  })

  it('forgets app bags when not leader, and relations that are gone', async () => {
    const memo: HookMemo = {
      'published.ingress:3.app': 'confirmed {}',
      'published.ingress:1.unit': 'confirmed {}',
    }
    const { model } = ingressModel({ leader: false })
    await publishRelationData(model, 'ingress', memo)
    expect(Object.keys(memo)).toEqual(['published.ingress:3.unit'])
  })

  it('does not trust a memo entry that does not match the data wanted now', async () => {
    const { model, log } = ingressModel()
    const memo: HookMemo = {
      'published.ingress:3.unit': 'confirmed {"host":"\\"elsewhere\\""}',
      'published.ingress:3.app': 'garbage',
    }
    await publishRelationData(model, 'ingress', memo)
    expect(log).toEqual(['read local-unit', 'write unit', 'read local-app', 'write app'])
  })
})

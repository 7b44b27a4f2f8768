import type { HookTools, SecretInfo, SecretOptions } from '../juju/index.js'
import { flattenActionResults, hookToolError } from '../juju/index.js'
import type { Relation, Secret, State } from './state.js'

/** What the fake tools saw besides the state changes. */
export interface ToolRecords {
  logs: { level: string; message: string }[]
  unitStatusHistory: { name: string; message: string }[]
  appStatusHistory: { name: string; message: string }[]
  actionResults: Record<string, string>
  actionFailed: string | null
  actionLogs: string[]
  calls: { tool: string; args: unknown[] }[]
}

/** Who is running the hook: needed for own-bag and leader rules. */
export interface FakeToolsIdentity {
  appName: string
  unitName: string
  modelUuid: string
  actionParams: Record<string, unknown>
}

const fail = (tool: string, code: number, message: string) =>
  hookToolError(tool, code, `ERROR ${message}\n`)

/**
 * In-memory hook tools over a mutable {@link State}, applying Juju's rules: `""` deletes a key,
 * app bags need the leader to write (and to read one's own, except in a peer relation), app-owned
 * secrets need the leader to manage, tracked vs latest secret revisions, typed errors with
 * Juju's stderr texts.
 */
export function createFakeTools(
  state: State,
  identity: FakeToolsIdentity,
  records: ToolRecords,
): HookTools {
  let secretCounter = state.secrets.length
  const relationOf = (tool: string, ref: string): Relation => {
    const id = Number(ref.slice(ref.lastIndexOf(':') + 1))
    const found = state.relations.find((candidate) => candidate.id === id)
    if (found === undefined || (ref.includes(':') && !ref.startsWith(`${found.endpoint}:`))) {
      throw fail(tool, 2, `invalid value "${ref}" for option -r: relation not found`)
    }
    return found
  }
  const findSecret = (tool: string, id?: string, label?: string): Secret => {
    const bare = (value: string) => value.replace(/^secret:(\/\/[^/]+\/)?/, '')
    const found = state.secrets.find(
      (candidate) =>
        (id !== undefined && bare(candidate.id) === bare(id)) ||
        (id === undefined && label !== undefined && candidate.label === label),
    )
    if (found === undefined) throw fail(tool, 1, `secret "${id ?? label}" not found`)
    return found
  }
  const mayManage = (tool: string, target: Secret) => {
    if (target.owner === null) throw fail(tool, 1, 'permission denied')
    if (target.owner === 'app' && !state.leader) throw fail(tool, 1, 'this unit is not the leader')
  }
  const record = (tool: string, ...args: unknown[]) =>
    records.calls.push({ tool, args: structuredClone(args) })
  const applyOptions = (target: Secret, options: SecretOptions) => {
    if (options.label !== undefined) target.label = options.label
    if (options.description !== undefined) target.description = options.description
    if (options.expire !== undefined) target.expire = options.expire
    if (options.rotate !== undefined) target.rotate = options.rotate
  }

  return {
    async configGet() {
      record('config-get')
      return structuredClone(state.config)
    },
    async relationIds(endpoint) {
      record('relation-ids', endpoint)
      return state.relations
        .filter((candidate) => candidate.endpoint === endpoint)
        .map((candidate) => `${candidate.endpoint}:${candidate.id}`)
    },
    async relationList(ref) {
      record('relation-list', ref)
      return Object.keys(relationOf('relation-list', ref).remoteUnitsData)
    },
    async relationRemoteApp(ref) {
      record('relation-list', ref, '--app')
      const found = relationOf('relation-list', ref)
      return found.peer === true ? identity.appName : found.remoteApp
    },
    async relationGet(ref, who, options = {}) {
      record('relation-get', ref, who, options)
      const found = relationOf('relation-get', ref)
      if (options.app === true) {
        if (who === identity.appName) {
          if (!state.leader && found.peer !== true)
            throw fail('relation-get', 1, 'permission denied')
          return structuredClone(found.localAppData)
        }
        if (who !== found.remoteApp)
          throw fail('relation-get', 1, `application "${who}" not found in relation`)
        return structuredClone(found.remoteAppData)
      }
      if (who === identity.unitName) return structuredClone(found.localUnitData)
      const bag = found.remoteUnitsData[who]
      if (bag === undefined)
        throw fail(
          'relation-get',
          1,
          `cannot read settings for unit "${who}" in relation "${ref}": unit "${who}": settings not found`,
        )
      return structuredClone(bag)
    },
    async relationSet(ref, data, options = {}) {
      record('relation-set', ref, data, options)
      const found = relationOf('relation-set', ref)
      if (options.app === true && !state.leader)
        throw fail('relation-set', 1, 'cannot write relation settings')
      const bag = options.app === true ? found.localAppData : found.localUnitData
      for (const [key, value] of Object.entries(data)) {
        if (value === '') delete bag[key]
        else bag[key] = value
      }
    },
    async isLeader() {
      record('is-leader')
      return state.leader
    },
    async statusSet(name, message, options = {}) {
      record('status-set', name, message, options)
      if (options.application === true) {
        if (!state.leader) throw fail('status-set', 1, 'this unit is not the leader')
        records.appStatusHistory.push({ ...state.appStatus })
        state.appStatus = { name, message }
      } else {
        records.unitStatusHistory.push({ ...state.unitStatus })
        state.unitStatus = { name, message }
      }
    },
    async jujuLog(level, message) {
      records.logs.push({ level, message })
    },
    async actionGet() {
      record('action-get')
      return structuredClone(identity.actionParams)
    },
    async actionSet(results) {
      record('action-set', results)
      Object.assign(records.actionResults, flattenActionResults(results))
    },
    async actionFail(message) {
      record('action-fail', message)
      records.actionFailed = message
    },
    async actionLog(message) {
      record('action-log', message)
      records.actionLogs.push(message)
    },
    async secretAdd(content, options = {}) {
      record('secret-add', Object.keys(content), options)
      if (options.owner !== 'unit' && !state.leader)
        throw fail('secret-add', 1, 'this unit is not the leader')
      secretCounter += 1
      const created: Secret = {
        id: `secret://${identity.modelUuid}/harness-added-${secretCounter}`,
        owner: options.owner === 'unit' ? 'unit' : 'app',
        trackedContent: { ...content },
        latestContent: { ...content },
        revision: 1,
      }
      applyOptions(created, options)
      state.secrets.push(created)
      return created.id
    },
    async secretGet({ id, label, refresh, peek }) {
      record('secret-get', id, label, { refresh, peek })
      const target = findSecret('secret-get', id, label)
      if (id !== undefined && label !== undefined) target.label = label
      if (refresh === true) target.trackedContent = { ...target.latestContent }
      return structuredClone(
        peek === true || refresh === true ? target.latestContent : target.trackedContent,
      )
    },
    async secretSet(id, content, options = {}) {
      record('secret-set', id, content === null ? null : Object.keys(content), options)
      const target = findSecret('secret-set', id)
      mayManage('secret-set', target)
      if (content !== null) {
        target.latestContent = { ...content }
        target.revision += 1
      }
      applyOptions(target, options)
    },
    async secretIds() {
      record('secret-ids')
      return state.secrets
        .filter((candidate) => candidate.owner !== null)
        .map((candidate) => candidate.id)
    },
    async secretInfoGet({ id, label }) {
      record('secret-info-get', id, label)
      const target = findSecret('secret-info-get', id, label)
      if (target.owner === null)
        throw fail('secret-info-get', 1, `secret "${id ?? label}" not found`)
      const info: SecretInfo = { revision: target.revision }
      if (target.label !== undefined) info.label = target.label
      if (target.description !== undefined) info.description = target.description
      if (target.expire !== undefined) info.expiry = target.expire
      if (target.rotate !== undefined) info.rotation = target.rotate
      return { [target.id]: info }
    },
    async stateGet(key) {
      record('state-get', key)
      if (key === undefined) return structuredClone(state.controllerState)
      const value = state.controllerState[key]
      if (value === undefined) throw fail('state-get', 1, `key "${key}" not found`)
      return value
    },
    async stateSet(data) {
      record('state-set', data)
      for (const [key, value] of Object.entries(data)) {
        if (value === '') delete state.controllerState[key]
        else state.controllerState[key] = value
      }
    },
    async applicationVersionSet(version) {
      record('application-version-set', version)
      state.workloadVersion = version
    },
    async networkGet(binding, options = {}) {
      record('network-get', binding, options)
      if (options.relation !== undefined) relationOf('network-get', options.relation)
      const network = state.networks[binding] ?? { bindAddress: '192.0.2.0' }
      return {
        'bind-addresses': [
          {
            'interface-name': 'eth0',
            addresses: [{ value: network.bindAddress, cidr: '192.0.2.0/24' }],
          },
        ],
        'egress-subnets': network.egressSubnets ?? ['192.0.2.0/32'],
        'ingress-addresses': network.ingressAddresses ?? [network.bindAddress],
      }
    },
    async openPort(port) {
      record('open-port', port)
      if (!/^(\d+(-\d+)?\/(tcp|udp)|icmp)$/.test(port))
        throw fail('open-port', 2, `invalid port or range "${port}"`)
      if (!state.openedPorts.includes(port)) state.openedPorts.push(port)
    },
  }
}

#!/usr/bin/env node
// A fake Juju hook tool for tests. Linked under each tool's name; state lives in the JSON file
// $FAKE_JUJU_STATE so a test can arrange it and read back what the tools did.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'

const tool = basename(process.argv[1])
const args = process.argv.slice(2)
const statePath = process.env.FAKE_JUJU_STATE
// A charm may run tools concurrently (as Juju allows); each call's read-modify-write of the
// state file holds a lock directory, so no call's record is lost.
const lock = `${statePath}.lock`
for (let tries = 0; ; tries++) {
  try {
    mkdirSync(lock)
    break
  } catch (error) {
    if (error.code !== 'EEXIST' || tries > 5000) throw error
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2)
  }
}
process.on('exit', () => rmdirSync(lock))
const state = JSON.parse(readFileSync(statePath, 'utf8'))
const stdin = ['relation-set', 'state-set'].includes(tool) ? readFileSync(0, 'utf8') : ''
state.calls.push({ tool, args: [...args], stdin })

const save = () => writeFileSync(statePath, JSON.stringify(state))
const out = (value) => {
  save()
  // With --format=json Juju prints JSON (strings quoted); plain tools print raw text.
  process.stdout.write(`${json || typeof value !== 'string' ? JSON.stringify(value) : value}\n`)
  process.exit(0)
}
const fail = (code, message) => {
  save()
  process.stderr.write(`ERROR ${message}\n`)
  process.exit(code)
}
const flag = (name) => {
  const index = args.indexOf(name)
  if (index === -1) return undefined
  const value = args[index + 1]
  args.splice(index, 2)
  return value
}
const has = (name) => {
  const index = args.indexOf(name)
  if (index !== -1) args.splice(index, 1)
  return index !== -1
}
const relation = () => {
  const ref = flag('-r')
  const rel = state.relations[ref]
  if (rel === undefined) fail(2, `invalid value "${ref}" for option -r: relation not found`)
  return rel
}
const secretById = (id) => state.secrets[id] ?? fail(1, `secret "${id}" not found`)
const contentArgs = () =>
  Object.fromEntries(
    args
      .filter((arg) => arg.includes('#file='))
      .map((arg) => {
        const [key, file] = arg.split('#file=')
        return [key, readFileSync(file, 'utf8')]
      }),
  )
const json = has('--format=json')
if (state.broken === tool) {
  save()
  process.stdout.write('this is not json\n')
  process.exit(0)
}

function run() {
  switch (tool) {
    case 'config-get':
      return out(state.config)
    case 'relation-ids':
      return out(Object.keys(state.relations).filter((ref) => ref.startsWith(`${args[0]}:`)))
    case 'relation-list': {
      const app = has('--app')
      const rel = relation()
      return out(app ? rel.remoteApp : Object.keys(rel.units))
    }
    case 'relation-get': {
      const app = has('--app')
      const rel = relation()
      const [key, who] = args
      if (key !== '-') fail(2, 'only "-" is supported by this fake')
      if (app) out(who === state.app ? rel.localApp : rel.remoteAppData)
      return out(
        who === state.unit
          ? rel.localUnit
          : (rel.units[who] ?? fail(1, `unit "${who}": settings not found`)),
      )
    }
    case 'relation-set': {
      const app = has('--app')
      const rel = relation()
      if (flag('--file') !== '-') fail(2, 'expected --file -')
      if (app && !state.leader) fail(1, 'cannot write relation settings')
      const bag = app ? rel.localApp : rel.localUnit
      for (const [key, value] of Object.entries(JSON.parse(stdin))) {
        if (value === '') delete bag[key]
        else bag[key] = value
      }
      return out('')
    }
    case 'is-leader':
      return out(state.leader)
    case 'status-set': {
      const application = args.shift()
      const [status, separator, message] = args
      if (
        !['--application=True', '--application=False'].includes(application) ||
        separator !== '--'
      )
        fail(2, 'bad usage')
      if (!['active', 'blocked', 'maintenance', 'waiting'].includes(status))
        fail(2, `invalid status "${status}"`)
      if (application === '--application=True' && !state.leader)
        fail(1, 'this unit is not the leader')
      state.statuses.push({ application: application === '--application=True', status, message })
      return out('')
    }
    case 'juju-log': {
      const level = flag('--log-level')
      state.logs.push({ level, message: args.slice(1).join(' ') })
      return out('')
    }
    case 'action-get':
      return out(state.actionParams)
    case 'action-set':
      for (const pair of args) {
        const [key, ...rest] = pair.split('=')
        state.actionResults[key] = rest.join('=')
      }
      return out('')
    case 'action-fail':
    case 'action-log':
    case 'application-version-set':
      state[tool] = args.slice(1).join(' ')
      return out('')
    case 'secret-add': {
      const owner = flag('--owner') ?? 'application'
      const label = flag('--label')
      if (owner === 'application' && !state.leader) fail(1, 'this unit is not the leader')
      const id = `secret:fake${Object.keys(state.secrets).length + 1}`
      state.secrets[id] = {
        owner,
        label,
        tracked: contentArgs(),
        latest: contentArgs(),
        revision: 1,
      }
      return out(id)
    }
    case 'secret-get': {
      const label = flag('--label')
      const refresh = has('--refresh')
      const peek = has('--peek')
      const id =
        args[0] ?? Object.keys(state.secrets).find((key) => state.secrets[key].label === label)
      if (id === undefined) fail(1, `secret with label "${label}" not found`)
      const secret = secretById(id)
      if (secret.denied) fail(1, 'permission denied')
      if (label !== undefined && args[0] !== undefined) secret.label = label
      if (refresh) secret.tracked = secret.latest
      return out(refresh || peek ? secret.latest : secret.tracked)
    }
    case 'secret-set': {
      flag('--owner')
      const id = args.find((arg) => !arg.includes('#file='))
      const secret = secretById(id)
      if (secret.owner === 'application' && !state.leader) fail(1, 'permission denied')
      secret.latest = contentArgs()
      secret.revision += 1
      return out('')
    }
    case 'secret-ids':
      return out(Object.keys(state.secrets).filter((id) => state.secrets[id].owner !== null))
    case 'secret-info-get': {
      const label = flag('--label')
      const id =
        args[0] ?? Object.keys(state.secrets).find((key) => state.secrets[key].label === label)
      const secret = state.secrets[id]
      if (secret === undefined || secret.owner === null)
        fail(1, `secret "${id ?? label}" not found`)
      return out({
        [id]: { revision: secret.revision, ...(secret.label ? { label: secret.label } : {}) },
      })
    }
    case 'state-get':
      return out(
        args[0] === undefined
          ? state.controller
          : (state.controller[args[0]] ?? fail(1, `key "${args[0]}" not found`)),
      )
    case 'state-set':
      Object.assign(state.controller, JSON.parse(stdin))
      return out('')
    case 'open-port':
      if (!/^\d+(-\d+)?\/(tcp|udp)$|^icmp$/.test(args.at(-1)))
        fail(2, `invalid port range "${args.at(-1)}"`)
      state.ports.push(args.at(-1))
      return out('')
    case 'network-get': {
      const ref = flag('-r')
      if (ref !== undefined && state.relations[ref] === undefined) {
        return fail(2, `invalid value "${ref}" for option -r: relation not found`)
      }
      const address = state.networks?.[args[0]] ?? '10.1.2.3'
      return out({
        'bind-addresses': [
          {
            'interface-name': 'eth0',
            addresses: [{ hostname: '', value: address, cidr: '10.1.2.0/24' }],
          },
        ],
        'egress-subnets': ['10.1.2.3/32'],
        'ingress-addresses': [address],
      })
    }
    default:
      return fail(2, `unknown tool ${tool}`)
  }
}

run()

// The hook tools of a fake Juju unit agent, as one pure function over a JSON state. The flags,
// JSON shapes, error texts and exit codes follow juju-contract.md §2: runtime errors print
// `ERROR <message>` and exit 1, argument errors exit 2.

const SETTABLE = ['maintenance', 'blocked', 'waiting', 'active']
const ACTION_KEY = /^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$/
const SECRET_KEY = /^([a-z](?:-?[a-z0-9]){2,})$/

class ToolError extends Error {
  constructor(message, code = 1) {
    super(message)
    this.code = code
  }
}

/** Splits argv into flags and positionals. `--x=y`, `--x y` for value flags, `--` ends flags. */
function parseArgs(args, valueFlags) {
  const flags = {}
  const positional = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') {
      positional.push(...args.slice(i + 1))
      break
    }
    if (arg.startsWith('--') || (arg.startsWith('-') && arg.length === 2 && arg !== '-')) {
      const [name, inline] = arg.replace(/^--?/, '').split(/=(.*)/s)
      if (valueFlags.includes(name)) {
        const value = inline ?? args[++i]
        if (value === undefined) throw new ToolError(`option needs an argument: ${arg}`, 2)
        flags[name] = value
      } else flags[name] = inline ?? true
    } else positional.push(arg)
  }
  return { flags, positional }
}

function json(value) {
  return JSON.stringify(value) + '\n'
}

function findRelation(state, value) {
  const id = Number(String(value).split(':').pop())
  const relation = state.relations.find((r) => r.id === id)
  const endpoint = String(value).includes(':') ? String(value).split(':')[0] : undefined
  if (!relation || (endpoint !== undefined && relation.endpoint !== endpoint)) {
    throw new ToolError(`invalid value "${value}" for option -r: relation not found`, 2)
  }
  return relation
}

function currentRelation(state, env, flags) {
  if (flags.r !== undefined) return findRelation(state, flags.r)
  if (env.JUJU_RELATION_ID) return findRelation(state, env.JUJU_RELATION_ID)
  throw new ToolError('no relation id specified', 2)
}

function bareSecretId(id) {
  return String(id)
    .replace(/^secret:\/\/[^/]*\//, '')
    .replace(/^secret:/, '')
}

function lookupSecret(state, id, label) {
  if (id !== undefined) {
    const secret = state.secrets[bareSecretId(id)]
    if (!secret) throw new ToolError(`secret "${bareSecretId(id)}" not found`)
    return [bareSecretId(id), secret]
  }
  const found = Object.entries(state.secrets).find(
    ([, s]) => s.label === label || s.consumerLabel === label,
  )
  if (!found) throw new ToolError(`secret with label "${label}" not found`)
  return found
}

function canRead(state, secret) {
  if (secret.owner === 'unit' || secret.owner === 'app') return true
  return secret.granted === true
}

function parseContent(args, readFile) {
  const content = {}
  for (const arg of args) {
    const file = /^([^#=]+)#file=(.*)$/s.exec(arg)
    const pair = /^([^=]+)=(.*)$/s.exec(arg)
    const [key, value] = file ? [file[1], readFile(file[2])] : pair ? [pair[1], pair[2]] : []
    if (key === undefined) throw new ToolError(`invalid key value "${arg}"`, 2)
    if (!SECRET_KEY.test(key)) throw new ToolError(`invalid secret key "${key}"`, 2)
    content[key] = value
  }
  return content
}

const tools = {
  'config-get'(state, { positional }) {
    const config = state.config ?? {}
    return positional[0] === undefined ? json(config) : json(config[positional[0]] ?? null)
  },
  'is-leader'(state) {
    return json(Boolean(state.leader))
  },
  'relation-ids'(state, { positional }) {
    const endpoint = positional[0]
    return json(
      state.relations.filter((r) => r.endpoint === endpoint).map((r) => `${r.endpoint}:${r.id}`),
    )
  },
  'relation-list'(state, { flags }, env) {
    const relation = currentRelation(state, env, flags)
    if (flags.app) return json(relation.remoteApp)
    return json(Object.keys(relation.remoteUnits ?? {}))
  },
  'relation-get'(state, { flags, positional }, env) {
    const relation = currentRelation(state, env, flags)
    const key = positional[0] ?? '-'
    const owner = positional[1] ?? (flags.app ? env.JUJU_REMOTE_APP : env.JUJU_REMOTE_UNIT)
    let bag
    if (flags.app) {
      if (owner === state.app) {
        if (!relation.peer && !state.leader) throw new ToolError('permission denied')
        bag = relation.localApp
      } else if (owner === relation.remoteApp) bag = relation.remoteAppData
      else throw new ToolError(`cannot read settings for application "${owner}"`)
    } else if (owner === state.unit) bag = relation.localUnit
    else if (relation.remoteUnits && owner in relation.remoteUnits)
      bag = relation.remoteUnits[owner]
    else
      throw new ToolError(
        `cannot read settings for unit "${owner}" in relation "${relation.endpoint}:${relation.id}": unit "${owner}": settings not found`,
      )
    bag = bag ?? {}
    return key === '-' ? json(bag) : json(bag[key] ?? null)
  },
  'relation-set'(state, { flags, positional }, env, stdin) {
    const relation = currentRelation(state, env, flags)
    let changes = {}
    if (flags.file !== undefined) {
      const text = flags.file === '-' ? stdin : env.__readFile(flags.file)
      changes = text.trim() === '' ? {} : JSON.parse(text)
    }
    for (const arg of positional) {
      const match = /^([^=]+)=(.*)$/s.exec(arg)
      if (!match) throw new ToolError(`expected "key=value", got "${arg}"`, 2)
      changes[match[1]] = match[2]
    }
    if (flags.app && !state.leader) throw new ToolError('cannot write relation settings')
    const target = flags.app ? 'localApp' : 'localUnit'
    const bag = { ...(relation[target] ?? {}) }
    for (const [key, value] of Object.entries(changes)) {
      if (typeof value !== 'string') throw new ToolError(`value of "${key}" is not a string`)
      if (value === '') delete bag[key]
      else bag[key] = value
    }
    relation[target] = bag
    return ''
  },
  'status-set'(state, { flags, positional }) {
    const [status, message = ''] = positional
    if (!SETTABLE.includes(status)) {
      throw new ToolError(`invalid status "${status}", expected one of [${SETTABLE.join(' ')}]`, 2)
    }
    const app = flags.application === true || String(flags.application).toLowerCase() === 'true'
    if (app && !state.leader) throw new ToolError('this unit is not the leader')
    const key = app ? 'appStatus' : 'unitStatus'
    state[key] = { status, message }
    state.statusHistory.push({ target: app ? 'app' : 'unit', status, message })
    return ''
  },
  'status-get'(state, { flags }) {
    const app = String(flags.application).toLowerCase() === 'true'
    if (app) {
      if (!state.leader) throw new ToolError('finding service status: this unit is not the leader')
      return json({ 'application-status': { ...state.appStatus, 'status-data': {}, units: {} } })
    }
    return json({ ...state.unitStatus, 'status-data': {} })
  },
  'juju-log'(state, { flags, positional }) {
    state.logs.push({
      level: flags['log-level'] ?? flags.l ?? 'INFO',
      message: positional.join(' '),
    })
    return ''
  },
  'application-version-set'(state, { positional }) {
    state.workloadVersion = positional[0] ?? ''
    return ''
  },
  'open-port'(state, { positional }) {
    if (!state.openedPorts.includes(positional[0])) state.openedPorts.push(positional[0])
    return ''
  },
  'close-port'(state, { positional }) {
    state.openedPorts = state.openedPorts.filter((port) => port !== positional[0])
    return ''
  },
  'opened-ports'(state) {
    return json(state.openedPorts)
  },
  'network-get'(state) {
    const address = state.address ?? '10.1.0.7'
    return json({
      'bind-addresses': [
        {
          'mac-address': '',
          'interface-name': 'eth0',
          addresses: [{ hostname: '', value: address, cidr: '10.1.0.0/16' }],
        },
      ],
      'egress-subnets': ['10.1.0.7/32'],
      'ingress-addresses': [address],
    })
  },
  'action-get'(state, { positional }, env) {
    if (!env.JUJU_ACTION_NAME) throw new ToolError('not running an action')
    const params = state.action?.params ?? {}
    return positional[0] === undefined ? json(params) : json(params[positional[0]] ?? null)
  },
  'action-set'(state, { positional }, env) {
    if (!env.JUJU_ACTION_NAME) throw new ToolError('not running an action')
    for (const arg of positional) {
      const match = /^([^=]+)=(.*)$/s.exec(arg)
      if (!match) throw new ToolError(`argument "${arg}" must be of the form key=value`, 2)
      for (const part of match[1].split('.')) {
        if (!ACTION_KEY.test(part))
          throw new ToolError(
            `key "${match[1]}" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
            2,
          )
      }
      state.action.results[match[1]] = match[2]
    }
    return ''
  },
  'action-fail'(state, { positional }, env) {
    if (!env.JUJU_ACTION_NAME) throw new ToolError('not running an action')
    state.action.failed =
      positional.join(' ') || 'action failed without reason given, check action for errors'
    return ''
  },
  'action-log'(state, { positional }, env) {
    if (!env.JUJU_ACTION_NAME) throw new ToolError('not running an action')
    state.action.logs.push(positional.join(' '))
    return ''
  },
  'secret-get'(state, { flags, positional }) {
    const [id, secret] = lookupSecret(state, positional[0], flags.label)
    if (!canRead(state, secret)) throw new ToolError('permission denied')
    if (positional[0] !== undefined && flags.label !== undefined && secret.owner === null) {
      secret.consumerLabel = flags.label
    }
    const latest = secret.revisions.length
    if (flags.refresh) secret.tracked = latest
    const revision = flags.peek || flags.refresh ? latest : (secret.tracked ?? latest)
    secret.tracked = secret.tracked ?? latest
    void id
    return json(secret.revisions[revision - 1])
  },
  'secret-add'(state, { flags, positional }, env) {
    const owner = flags.owner === 'unit' ? 'unit' : 'app'
    if (owner === 'app' && !state.leader) throw new ToolError('this unit is not the leader')
    const content = parseContent(positional, env.__readFile)
    if (Object.keys(content).length === 0) throw new ToolError('missing secret value', 2)
    state.secretSeq = (state.secretSeq ?? 0) + 1
    const id = `d${String(state.secretSeq).padStart(19, '0')}`
    state.secrets[id] = {
      owner,
      label: flags.label,
      description: flags.description,
      revisions: [content],
      tracked: 1,
    }
    return `secret://${state.model.uuid}/${id}\n`
  },
  'secret-set'(state, { flags, positional }, env) {
    const [id, secret] = lookupSecret(state, positional[0], undefined)
    if (secret.owner === null || secret.owner === undefined)
      throw new ToolError('permission denied')
    if (secret.owner === 'app' && !state.leader) throw new ToolError('this unit is not the leader')
    const content = parseContent(positional.slice(1), env.__readFile)
    if (Object.keys(content).length > 0) secret.revisions.push(content)
    if (flags.label !== undefined) secret.label = flags.label
    void id
    return ''
  },
  'secret-ids'(state) {
    return json(
      Object.entries(state.secrets)
        .filter(([, s]) => s.owner === 'unit' || (s.owner === 'app' && state.leader))
        .map(([id]) => `secret:${id}`),
    )
  },
  'secret-info-get'(state, { flags, positional }) {
    const [id, secret] = lookupSecret(state, positional[0], flags.label)
    if (secret.owner !== 'app' && secret.owner !== 'unit')
      throw new ToolError(`secret "${id}" not found`)
    return json({
      [id]: { revision: secret.revisions.length, label: secret.label ?? '', owner: secret.owner },
    })
  },
  'secret-grant'() {
    return ''
  },
  'state-get'(state, { positional }) {
    return positional[0] === undefined
      ? json(state.charmState)
      : json(state.charmState[positional[0]] ?? null)
  },
  'state-set'(state, { flags, positional }, env, stdin) {
    const changes = flags.file === '-' ? JSON.parse(stdin || '{}') : {}
    for (const arg of positional) {
      const match = /^([^=]+)=(.*)$/s.exec(arg)
      if (match) changes[match[1]] = match[2]
    }
    Object.assign(state.charmState, changes)
    return ''
  },
  'state-delete'(state, { positional }) {
    delete state.charmState[positional[0]]
    return ''
  },
}

const VALUE_FLAGS = [
  'format',
  'r',
  'relation',
  'file',
  'label',
  'description',
  'owner',
  'log-level',
  'l',
  'expire',
  'rotate',
  'application',
  'revision',
  'unit',
  'app-name',
]

/** The names of every tool the fake implements. */
export const TOOL_NAMES = Object.keys(tools)

/**
 * Runs one hook tool against `state` (mutated in place). Returns what the process would print
 * and its exit code.
 */
export function runTool(state, tool, args, env, stdin) {
  const handler = tools[tool]
  if (!handler) return { stdout: '', stderr: `ERROR unknown tool "${tool}"\n`, code: 2 }
  try {
    // `--application=True` is a value only for status tools; elsewhere `--app` is a switch.
    const statusTool = tool === 'status-set' || tool === 'status-get'
    const flagsForTool = statusTool ? VALUE_FLAGS : VALUE_FLAGS.filter((f) => f !== 'application')
    const parsed = parseArgs(args, flagsForTool)
    if (parsed.flags.relation !== undefined) parsed.flags.r = parsed.flags.relation
    state.calls.push([tool, ...args])
    return { stdout: handler(state, parsed, env, stdin) ?? '', stderr: '', code: 0 }
  } catch (error) {
    if (error instanceof ToolError)
      return { stdout: '', stderr: `ERROR ${error.message}\n`, code: error.code }
    return { stdout: '', stderr: `ERROR ${error.message}\n`, code: 1 }
  }
}

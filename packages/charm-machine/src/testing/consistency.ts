import type { CharmDefinition } from '../juju/index.js'
import type { HarnessEvent } from './events.js'
import type { State } from './state.js'

/** Optional metadata to check a State against (a subset of charmcraft.yaml). */
export interface CharmMeta {
  config?: Record<string, { type: 'string' | 'int' | 'float' | 'boolean' | 'secret' }>
  /** Declared endpoints (requires, provides and peers). */
  endpoints?: string[]
  actions?: Record<
    string,
    {
      params?: Record<
        string,
        { type: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' }
      >
    }
  >
}

/** The State and event describe something Juju could never produce. */
export class InconsistentStateError extends Error {
  override readonly name = 'InconsistentStateError'
  constructor(readonly problems: string[]) {
    super(`inconsistent state: ${problems.join('; ')}`)
  }
}

const jsonType = (value: unknown): string =>
  Array.isArray(value)
    ? 'array'
    : value === null
      ? 'null'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'integer'
          : 'number'
        : typeof value

/**
 * Lists why `state` + `event` is impossible for this charm (empty when consistent): relations and
 * secrets the event names must exist, ids must be unique, peer data must not hold this unit,
 * declared containers must exist, config and action params must match the metadata, and the
 * stored log must be in sequence.
 */
export function checkConsistency(
  state: State,
  event: HarnessEvent,
  options: { definition: CharmDefinition; unitName: string; meta?: CharmMeta | undefined },
): string[] {
  const problems: string[] = []
  const { definition, unitName, meta } = options
  const ids = state.relations.map((candidate) => candidate.id)
  if (new Set(ids).size !== ids.length) problems.push('duplicate relation ids')
  const secretIds = state.secrets.map((candidate) => candidate.id)
  if (new Set(secretIds).size !== secretIds.length) problems.push('duplicate secret ids')
  for (const candidate of state.relations) {
    if (candidate.peer === true && unitName in candidate.remoteUnitsData) {
      problems.push(
        `peer relation ${candidate.endpoint} lists this unit (${unitName}) among its peers`,
      )
    }
    if (meta?.endpoints !== undefined && !meta.endpoints.includes(candidate.endpoint)) {
      problems.push(`relation endpoint ${candidate.endpoint} is not in the metadata`)
    }
    for (const bag of [
      candidate.localAppData,
      candidate.localUnitData,
      candidate.remoteAppData,
      ...Object.values(candidate.remoteUnitsData),
    ]) {
      if (Object.values(bag).some((value) => typeof value !== 'string'))
        problems.push(`relation ${candidate.endpoint} has a non-string value`)
    }
  }
  for (const name of definition.containers) {
    if (!state.containers.some((candidate) => candidate.name === name))
      problems.push(`container ${name} is declared but not in the state`)
  }
  for (const candidate of state.containers) {
    if (!definition.containers.includes(candidate.name))
      problems.push(`container ${candidate.name} is not declared by the charm`)
    const prefixes = candidate.execs.map((mock) => JSON.stringify(mock.commandPrefix))
    if (new Set(prefixes).size !== prefixes.length)
      problems.push(`container ${candidate.name} has duplicate exec prefixes`)
  }
  if (meta?.config !== undefined) {
    for (const [key, value] of Object.entries(state.config)) {
      const option = meta.config[key]
      if (option === undefined) problems.push(`config option ${key} is not declared`)
      else {
        const expected = {
          string: 'string',
          secret: 'string',
          int: 'integer',
          float: 'number',
          boolean: 'boolean',
        }[option.type]
        const actual = jsonType(value)
        if (actual !== expected && !(expected === 'number' && actual === 'integer')) {
          problems.push(`config option ${key} should be ${option.type}, got ${actual}`)
        }
      }
    }
  }
  const entries = state.storedLog.entries
  entries.forEach((entry, index) => {
    const previous = entries[index - 1]
    if (previous !== undefined && entry.seq <= previous.seq)
      problems.push(`stored log seq ${entry.seq} follows ${previous.seq}`)
  })
  const lastSeq = entries.at(-1)?.seq ?? 0
  if (state.storedLog.snapshot !== null && state.storedLog.snapshot.seq > lastSeq) {
    problems.push(
      `stored snapshot seq ${state.storedLog.snapshot.seq} is past the log (${lastSeq})`,
    )
  }

  if (event.kind === 'action') {
    const declared = meta?.actions?.[event.name]
    if (meta?.actions !== undefined && declared === undefined)
      problems.push(`action ${event.name} is not declared`)
    for (const [param, value] of Object.entries(event.params)) {
      const spec = declared?.params?.[param]
      if (meta?.actions === undefined) continue
      if (spec === undefined) problems.push(`action param ${param} is not declared`)
      else if (
        jsonType(value) !== spec.type &&
        !(spec.type === 'number' && jsonType(value) === 'integer')
      ) {
        problems.push(`action param ${param} should be ${spec.type}`)
      }
    }
    return problems
  }
  if (event.relationId !== undefined) {
    const found = state.relations.find((candidate) => candidate.id === event.relationId)
    if (found === undefined)
      problems.push(
        `event ${event.name} names relation ${event.relationId}, which is not in the state`,
      )
    else if (!event.name.startsWith(`${found.endpoint}-relation-`))
      problems.push(`event ${event.name} does not match relation endpoint ${found.endpoint}`)
    else if (/-relation-(joined|changed|departed)$/.test(event.name)) {
      const remote = event.remoteUnit ?? Object.keys(found.remoteUnitsData)[0]
      if (remote === undefined || !(remote in found.remoteUnitsData))
        problems.push(`event ${event.name} has no remote unit in relation ${found.id}`)
    }
  }
  if (
    event.container !== undefined &&
    !state.containers.some((candidate) => candidate.name === event.container)
  ) {
    problems.push(
      `event ${event.name} names container ${event.container}, which is not in the state`,
    )
  }
  if (
    event.secretId !== undefined &&
    !state.secrets.some((candidate) => candidate.id === event.secretId)
  ) {
    problems.push(`event ${event.name} names secret ${event.secretId}, which is not in the state`)
  }
  return problems
}

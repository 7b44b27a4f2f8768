import * as v from 'valibot'

/** The relation a relation hook is about (`JUJU_RELATION*`, `JUJU_REMOTE_*`, `JUJU_DEPARTING_UNIT`). */
export interface RelationContext {
  endpoint: string
  /** The full `JUJU_RELATION_ID`, e.g. `mongodb:7`, as hook tools take it after `-r`. */
  ref: string
  /** The numeric id: the part after the last `:`. */
  id: number
  remoteApp?: string
  remoteUnit?: string
  departingUnit?: string
}

/** What one dispatch is about, read from the Juju environment (§1.2 of the contract). */
export interface DispatchContext {
  /** `hook` for `hooks/<name>`, `action` for `actions/<name>`. */
  kind: 'hook' | 'action'
  /** The hook or action name, e.g. `mongodb-relation-changed` or `rotate-secret-key`. */
  name: string
  unitName: string
  appName: string
  modelName: string
  modelUuid: string
  jujuVersion: string
  charmDir: string
  relation?: RelationContext
  /** `JUJU_WORKLOAD_NAME` of `<container>-pebble-*` hooks. */
  workload?: string
  secret?: { id: string; label?: string; revision?: number }
  action?: { name: string; id: string }
  proxy: { http?: string; https?: string; no?: string }
}

/** The environment does not describe a dispatch; the message is one line. */
export class DispatchEnvError extends Error {
  override readonly name = 'DispatchEnvError'
}

const required = v.pipe(v.string(), v.minLength(1))
const EnvSchema = v.looseObject({
  JUJU_DISPATCH_PATH: v.pipe(
    required,
    v.regex(/^(hooks|actions)\/[a-z0-9][a-z0-9-]*$/, 'must be hooks/<name> or actions/<name>'),
  ),
  JUJU_UNIT_NAME: v.pipe(required, v.regex(/^[a-z][a-z0-9-]*\/\d+$/, 'must be <app>/<n>')),
  JUJU_MODEL_NAME: required,
  JUJU_MODEL_UUID: required,
  JUJU_VERSION: required,
  JUJU_CHARM_DIR: v.optional(v.string()),
  CHARM_DIR: v.optional(v.string()),
})

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value

function relationFrom(
  env: Record<string, string | undefined>,
  name: string,
): RelationContext | undefined {
  const ref = nonEmpty(env['JUJU_RELATION_ID'])
  if (ref === undefined) return undefined
  const idText = ref.slice(ref.lastIndexOf(':') + 1)
  const id = Number(idText)
  if (!/^\d+$/.test(idText))
    throw new DispatchEnvError(`JUJU_RELATION_ID ${JSON.stringify(ref)} has no numeric id`)
  const endpoint =
    nonEmpty(env['JUJU_RELATION']) ??
    (ref.includes(':') ? ref.slice(0, ref.lastIndexOf(':')) : undefined)
  if (endpoint === undefined)
    throw new DispatchEnvError(`relation hook ${name} has no JUJU_RELATION`)
  return {
    endpoint,
    ref: ref.includes(':') ? ref : `${endpoint}:${id}`,
    id,
    remoteApp: nonEmpty(env['JUJU_REMOTE_APP']),
    remoteUnit: nonEmpty(env['JUJU_REMOTE_UNIT']),
    departingUnit: nonEmpty(env['JUJU_DEPARTING_UNIT']),
  }
}

/**
 * Reads the dispatch environment. Throws {@link DispatchEnvError} with a one-line reason when a
 * variable Juju always sets is missing or malformed, or a relation hook lacks its relation.
 *
 * @example
 * ```ts
 * const context = readDispatchContext(process.env)
 * context.name // 'mongodb-relation-changed'
 * ```
 */
export function readDispatchContext(env: Record<string, string | undefined>): DispatchContext {
  const parsed = v.safeParse(EnvSchema, env)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    const key = issue.path?.[0]?.key
    const name = typeof key === 'string' ? key : 'environment'
    if (issue.input === undefined)
      throw new DispatchEnvError(`${name} is not set: not running as a Juju hook?`)
    throw new DispatchEnvError(`${name}: ${issue.message}`)
  }
  const [location, name] = parsed.output.JUJU_DISPATCH_PATH.split('/') as [string, string]
  const kind = location === 'actions' ? 'action' : 'hook'
  const unitName = parsed.output.JUJU_UNIT_NAME
  const context: DispatchContext = {
    kind,
    name,
    unitName,
    appName: unitName.slice(0, unitName.indexOf('/')),
    modelName: parsed.output.JUJU_MODEL_NAME,
    modelUuid: parsed.output.JUJU_MODEL_UUID,
    jujuVersion: parsed.output.JUJU_VERSION,
    charmDir:
      nonEmpty(parsed.output.JUJU_CHARM_DIR) ?? nonEmpty(parsed.output.CHARM_DIR) ?? process.cwd(),
    proxy: {
      http: nonEmpty(env['JUJU_CHARM_HTTP_PROXY']),
      https: nonEmpty(env['JUJU_CHARM_HTTPS_PROXY']),
      no: nonEmpty(env['JUJU_CHARM_NO_PROXY']),
    },
  }
  if (kind === 'action') {
    context.action = { name, id: env['JUJU_ACTION_UUID'] ?? '' }
    return context
  }
  if (/-relation-(created|joined|changed|departed|broken)$/.test(name)) {
    context.relation = relationFrom(env, name)
    if (context.relation === undefined)
      throw new DispatchEnvError(`relation hook ${name} has no JUJU_RELATION_ID`)
  }
  if (/-pebble-(ready|custom-notice|check-failed|check-recovered)$/.test(name)) {
    context.workload = nonEmpty(env['JUJU_WORKLOAD_NAME']) ?? name.replace(/-pebble-[a-z-]+$/, '')
  }
  if (/^secret-(changed|rotate|remove|expired)$/.test(name)) {
    const id = nonEmpty(env['JUJU_SECRET_ID'])
    if (id === undefined) throw new DispatchEnvError(`secret hook ${name} has no JUJU_SECRET_ID`)
    const revision = nonEmpty(env['JUJU_SECRET_REVISION'])
    context.secret = {
      id,
      ...(nonEmpty(env['JUJU_SECRET_LABEL']) === undefined
        ? {}
        : { label: env['JUJU_SECRET_LABEL'] }),
      ...(revision === undefined ? {} : { revision: Number(revision) }),
    }
  }
  return context
}

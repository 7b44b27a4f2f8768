import * as v from 'valibot'
import type { ActionContext, CharmModel } from './model.js'
import { SecretAccessError } from './model.js'
import { readSecretStorage } from './integrations.js'
import { SECRET_KEY_FIELD, SECRET_STORAGE_ENDPOINT, generateSecretKey } from './secret-storage.js'
import type { WorkloadPebble } from './workload.js'
import { lastLine } from './workload.js'
import { WORKLOAD_COMMAND, githubAuthEnvironment } from './workload-layer.js'

/** What an action asks of the lifecycle machine afterwards. */
export interface ActionOutcome {
  /** The `action-fail` message, when the action failed in an expected way. */
  failed?: string
  /** Validate, migrate and restart again (the secret key changed). */
  reconcile?: boolean
}

/** One transition of the unit's lifecycle, for `show-history`. */
export interface HistoryEntry {
  readonly seq: number
  readonly at: string
  readonly event: string
  readonly from: string
  readonly to: string
  readonly effects: readonly string[]
}

/** What the actions run against. */
export interface ActionDeps {
  readonly model: CharmModel
  readonly pebble: WorkloadPebble
  readonly action: ActionContext
  readonly random?: (size: number) => Buffer
  /** The unit's last transitions, oldest first. */
  readonly history?: (limit: number) => Promise<readonly HistoryEntry[]>
}

/**
 * `rotate-secret-key`: the leader replaces the application secret key in the peer databag;
 * every unit restarts with it (the others on `secret-storage-relation-changed`).
 */
export async function rotateSecretKey(deps: ActionDeps): Promise<ActionOutcome> {
  const { model, action } = deps
  if (!(await model.isLeader())) return { failed: 'only leader unit can rotate secret key' }
  const storage = await readSecretStorage(model)
  if (storage.status === 'absent') return { failed: 'charm is still initializing' }
  const key = generateSecretKey(deps.random)
  await model.writeBag(SECRET_STORAGE_ENDPOINT, storage.relationId, 'app', {
    [SECRET_KEY_FIELD]: key,
  })
  await action.setResults({ status: 'success' })
  return { reconcile: true }
}

const RedeliverParams = v.looseObject({
  since: v.pipe(v.number(), v.integer(), v.minValue(0)),
  'github-path': v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)?$/)),
  'webhook-id': v.pipe(v.number(), v.integer(), v.minValue(1)),
  'github-token-secret-id': v.optional(v.string()),
  'github-app-client-id': v.optional(v.string()),
  'github-app-installation-id': v.optional(v.pipe(v.number(), v.integer())),
  'github-app-private-key-secret-id': v.optional(v.string()),
})

const INVALID = 'Invalid action parameters passed'
const REDELIVERY_FAILED = 'Webhooks redelivery failed. Look at the juju logs for more information.'

/**
 * `redeliver-failed-webhooks`: reads the user secrets named in the parameters, runs
 * `webhook-router redeliver` in the workload container with the credentials in its
 * environment, and sets the results from the last stdout line. Failure messages follow the
 * reference charm (juju-contract §7); errors the reference left uncaught get a message too.
 */
export async function redeliverFailedWebhooks(
  deps: ActionDeps,
  githubApiUrl?: string,
): Promise<ActionOutcome> {
  const { model, pebble, action } = deps
  const parsed = v.safeParse(RedeliverParams, action.params)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    const where = issue?.path?.map((item) => String(item.key)).join('.') ?? 'parameters'
    return { failed: `${INVALID}: ${where}: ${issue?.message ?? 'invalid'}` }
  }
  const params = parsed.output
  const auth: Record<string, string | undefined> = {
    'client-id': params['github-app-client-id'],
    'installation-id': params['github-app-installation-id']?.toString(),
  }
  const fromSecret = async (id: string | undefined, field: string): Promise<string | undefined> => {
    if (id === undefined || id === '') return undefined
    let content: Record<string, string>
    try {
      content = await model.secretGet(id)
    } catch (error) {
      if (error instanceof SecretAccessError)
        throw new ActionFailure(`${INVALID}: Could not access/find secret ${id}`)
      throw error
    }
    const value = content[field]
    if (value === undefined)
      throw new ActionFailure(
        `${INVALID}: Secret ${id} does not contain a field called '${field}'.`,
      )
    return value
  }
  try {
    auth['token'] = await fromSecret(params['github-token-secret-id'], 'token')
    auth['private-key'] = await fromSecret(
      params['github-app-private-key-secret-id'],
      'private-key',
    )
  } catch (error) {
    if (error instanceof ActionFailure) return { failed: error.message }
    throw error
  }
  const environment = githubAuthEnvironment(auth)
  if (githubApiUrl !== undefined) environment['GITHUB_API_URL'] = githubApiUrl
  const command = [
    WORKLOAD_COMMAND,
    'redeliver',
    '--since',
    String(params.since),
    '--github-path',
    params['github-path'],
    '--webhook-id',
    String(params['webhook-id']),
  ]
  let result: { exitCode: number; stdout: string; stderr: string }
  try {
    result = await pebble.exec(command, { environment })
  } catch (error) {
    await model.log('ERROR', `cannot run webhook-router redeliver: ${(error as Error).message}`)
    return { failed: 'The workload container is not reachable; retry once the unit is active.' }
  }
  if (result.exitCode !== 0) {
    const stderr = result.stderr.trim()
    if (result.exitCode === 1) return { failed: `Argument parsing failed. ${stderr}` }
    await model.log('WARNING', `webhook-router redeliver exited ${result.exitCode}: ${stderr}`)
    return { failed: REDELIVERY_FAILED }
  }
  const stdout = result.stdout
  let results: unknown
  try {
    results = JSON.parse(lastLine(stdout))
  } catch {
    await model.log(
      'WARNING',
      `webhook-router redeliver printed no JSON result: ${lastLine(stdout)}`,
    )
    return { failed: REDELIVERY_FAILED }
  }
  await action.setResults(flattenResults(results))
  return {}
}

/** `show-history`: the unit's last lifecycle transitions, from its event log. */
export async function showHistory(deps: ActionDeps): Promise<ActionOutcome> {
  const limit = deps.action.params['limit']
  const count =
    typeof limit === 'number' && Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 20
  const entries = deps.history === undefined ? [] : await deps.history(count)
  const lines = entries.map(
    (entry) =>
      `${entry.seq} ${entry.at} ${entry.event}: ${entry.from} -> ${entry.to}` +
      (entry.effects.length > 0 ? ` [${entry.effects.join(', ')}]` : ''),
  )
  await deps.action.setResults({ count: String(entries.length), history: lines.join('\n') })
  return {}
}

/** Flattens nested results with `.` keys, as ops does for `action-set`. */
export function flattenResults(value: unknown, prefix = ''): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { [prefix || 'result']: typeof value === 'string' ? value : JSON.stringify(value) }
  }
  const flat: Record<string, string> = {}
  for (const [key, item] of Object.entries(value)) {
    Object.assign(flat, flattenResults(item, prefix === '' ? key : `${prefix}.${key}`))
  }
  return flat
}

class ActionFailure extends Error {}

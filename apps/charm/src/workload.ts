import type { WorkloadLayer } from './workload-layer.js'
import { LAYER_LABEL, SERVICE_NAME, planHasLayer } from './workload-layer.js'

/**
 * The Pebble operations the router charm uses: a subset of charm-machine's `WorkloadClient`,
 * so the runtime's client and the harness's fake both fit. `exec` returns non-zero exits.
 */
export interface WorkloadPebble {
  canConnect(): Promise<boolean>
  getPlan(): Promise<unknown>
  addLayer(label: string, layer: WorkloadLayer, options?: { combine?: boolean }): Promise<void>
  replan(): Promise<void>
  getServices(names?: string[]): Promise<readonly { name: string; current: string }[]>
  stop(names: string[]): Promise<void>
  exec(
    command: string[],
    options?: { environment?: Record<string, string> },
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>
}

/** Whether Pebble in the workload container answers at all. */
export async function pebbleReachable(pebble: WorkloadPebble): Promise<boolean> {
  try {
    return await pebble.canConnect()
  } catch {
    return false
  }
}

/** What {@link applyLayer} did. */
export interface ApplyOutcome {
  readonly layerChanged: boolean
  readonly replanned: boolean
}

/**
 * Adds the layer only when the plan differs, and replans only when the layer changed or the
 * service is not running, so a settled unit never restarts its workload. A service that does
 * not stay up rejects with the reason Pebble gave (see {@link describeFailure}).
 */
export async function applyLayer(
  pebble: WorkloadPebble,
  layer: WorkloadLayer,
): Promise<ApplyOutcome> {
  const layerChanged = !planHasLayer(await pebble.getPlan(), layer)
  if (layerChanged) await pebble.addLayer(LAYER_LABEL, layer, { combine: true })
  const [service] = await pebble.getServices([SERVICE_NAME])
  const running = service?.current === 'active'
  if (!layerChanged && running) return { layerChanged, replanned: false }
  try {
    await pebble.replan()
  } catch (error) {
    throw new Error(`${SERVICE_NAME} did not start: ${describeFailure(error)}`, { cause: error })
  }
  return { layerChanged, replanned: true }
}

/** Stops the service if it runs, e.g. when the database went away. */
export async function stopService(pebble: WorkloadPebble): Promise<boolean> {
  const [service] = await pebble.getServices([SERVICE_NAME])
  if (service?.current !== 'active' && service?.current !== 'backoff') return false
  await pebble.stop([SERVICE_NAME])
  return true
}

/**
 * One line for a status message from a Pebble error: a change's `err` (its first line), an
 * exec's last stderr line, or the message.
 */
export function describeFailure(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error)
  const record = error as {
    name?: string
    err?: unknown
    stderr?: unknown
    exitCode?: unknown
    message?: unknown
  }
  if (typeof record.err === 'string' && record.err !== '') return summariseChangeError(record.err)
  if (typeof record.stderr === 'string' && typeof record.exitCode === 'number') {
    const last = lastLine(record.stderr)
    return last === '' ? `exit code ${record.exitCode}` : `exit code ${record.exitCode}: ${last}`
  }
  return firstLine(String(record.message ?? error))
}

/**
 * Pebble's change `err` is `cannot perform the following tasks:` followed by one `- <task>
 * (<reason>)` line per failed task; the task lines are what a human needs.
 */
export function summariseChangeError(err: string): string {
  const lines = err
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
  if (!lines[0]?.startsWith('cannot perform the following tasks') || lines.length < 2) {
    return firstLine(err)
  }
  return lines
    .slice(1)
    .map((line) => line.replace(/^- /, ''))
    .join('; ')
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? text).trim()
}

/** The last non-empty line: a CLI's error comes after its progress output. */
export function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  return (lines.at(-1) ?? '').trim()
}
